import { describeEditMethod } from '@llmedit/testing';
import { kn } from './method.js';
import { knPreset } from './presets.js';

// The micro preset searches the top layer only (see README): KN then flips the conformance request.
describeEditMethod(kn, { hparams: knPreset('micro') });
