import { describeEditMethod } from '@llmedit/testing';
import { tPatcher } from './method.js';
import { tPatcherPreset } from './presets.js';

describeEditMethod(tPatcher, { hparams: tPatcherPreset('micro') });
