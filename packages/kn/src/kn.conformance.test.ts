import { describeEditMethod } from '@llmedit/testing';
import { knLlmedit } from './method.js';
import { knLlmeditPreset } from './presets.js';

// The micro preset of kn-llmedit searches the top layer only (see README): it then flips the conformance
// request. `kn` (EasyEdit's rule) writes through the same neuron patch (exact revert, no leaked tensors,
// restore on failure); its update vector and attribution are pinned by fidelity.test.ts.
describeEditMethod(knLlmedit, { hparams: knLlmeditPreset('micro') });
