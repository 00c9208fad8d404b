import { describeEditMethod } from '@llmedit/testing';
import { memit } from './method.js';
import { memitPreset } from './presets.js';

// As for ROME, the micro model is too small to carry the subject to the answer, so its preset writes the
// prompt's last token; src/memit.test.ts checks subject-token batch edits on the default model.
describeEditMethod(memit, { hparams: memitPreset('micro') });
