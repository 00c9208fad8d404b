import { describeEditMethod } from '@llmedit/testing';
import { ftL, ftM } from './method.js';
import { ftPreset } from './presets.js';

describeEditMethod(ftL, { hparams: ftPreset('ft-l', 'micro') });
describeEditMethod(ftM, { hparams: ftPreset('ft-m', 'micro') });
