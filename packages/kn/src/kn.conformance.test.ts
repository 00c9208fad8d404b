import { describeEditMethod } from '@llmedit/testing';
import { knLlmedit } from './method.js';
import { knLlmeditPreset } from './presets.js';

// The micro preset of kn-llmedit searches the top layer only (see README): it then flips the conformance
// request. `kn` (EasyEdit's rule) runs the same contract checks in kn-reference.conformance.test.ts.
describeEditMethod(knLlmedit, { hparams: knLlmeditPreset('micro') });
