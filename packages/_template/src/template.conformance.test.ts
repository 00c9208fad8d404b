import { describeEditMethod } from '@llmedit/testing';
import { template } from './method.js';
import { templatePreset } from './presets.js';

describeEditMethod(template, { hparams: templatePreset('micro') });
