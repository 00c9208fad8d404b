import { describeEditMethod } from '@llmedit/testing';
import { calinet } from './method.js';
import { calinetPreset } from './presets.js';

describeEditMethod(calinet, { hparams: calinetPreset('micro') });
