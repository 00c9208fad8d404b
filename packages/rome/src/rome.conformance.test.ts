import { describeEditMethod } from '@llmedit/testing';
import { rome, rRome } from './method.js';
import { romePreset } from './presets.js';

// The micro model (2 layers, width 32) carries too little of the subject through attention for a value
// written at the subject's last token to move the answer (v* reaches p = 0.017 there), so its preset
// edits at the prompt's last token; src/rome.test.ts checks the subject-token edit on the default model.
// The 200 sequential edits of sequentialStable use 5 v* steps instead of 20: what accumulates is one
// clamped rank-one update per edit either way, and the full preset would take minutes on 2 CI cores.
const stress = <H extends object>(hparams: H) => ({ hparams: { ...hparams, vNumGradSteps: 5 } });
describeEditMethod(rome, { hparams: romePreset('micro'), stress: stress(romePreset('micro')) });
describeEditMethod(rRome, {
  hparams: romePreset('micro', 'r-rome'),
  stress: stress(romePreset('micro', 'r-rome')),
});
