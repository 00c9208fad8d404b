import { describeEditMethod } from '@llmedit/testing';
import { grace } from './method.js';
import { gracePreset } from './presets.js';

describeEditMethod(grace, { hparams: gracePreset('micro') });
