import { describeEditMethod } from '@llmedit/testing';
import { grace } from './method.js';
import { gracePreset } from './presets.js';

// The cpu-backend edit of backendsAgree runs the optimisation on tfjs's plain-JS kernels: allow it time.
describeEditMethod(grace, { hparams: gracePreset('micro'), timeout: 600_000 });
