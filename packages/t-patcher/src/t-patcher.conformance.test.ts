import { describeEditMethod } from '@llmedit/testing';
import { tPatcher } from './method.js';
import { tPatcherPreset } from './presets.js';

// The cpu-backend edit of backendsAgree runs the optimisation on tfjs's plain-JS kernels: allow it time.
describeEditMethod(tPatcher, { hparams: tPatcherPreset('micro'), timeout: 600_000 });
