import { describeEditMethod } from '@llmedit/testing';
import { memit } from './method.js';
import { memitPreset } from './presets.js';

// As for ROME, the micro model is too small to carry the subject to the answer, so its preset writes the
// prompt's last token; src/memit.test.ts checks subject-token batch edits on the default model.
// The 200 sequential edits of sequentialStable use 5 z steps instead of 20: what accumulates is one
// clamped update per edit either way, and the full preset would take minutes on 2 CI cores.
describeEditMethod(memit, {
  hparams: memitPreset('micro'),
  stress: { hparams: { ...memitPreset('micro'), vNumGradSteps: 5 } },
});
