import { describeEditMethod } from '@llmedit/testing';
import { rome, rRome } from './method.js';
import { romePreset } from './presets.js';

// The micro model (2 layers, width 32) carries too little of the subject through attention for a value
// written at the subject's last token to move the answer (v* reaches p = 0.017 there), so its preset
// edits at the prompt's last token; src/rome.test.ts checks the subject-token edit on the default model.
describeEditMethod(rome, { hparams: romePreset('micro') });
describeEditMethod(rRome, { hparams: romePreset('micro', 'r-rome') });
