import { defineHparams, field, type HparamsFields, type HparamsSpec } from '@llmedit/core';
import {
  checkLocateEditHparams,
  type LocateEditHparams,
  locateEditFields,
  MODULE_TEMPLATE_KEYS,
} from '@llmedit/locate';

/**
 * MEMIT hyperparameters: EasyEdit's MEMIT keys in camelCase (reference/easyedit.md section 4.4), so
 * `readEasyEditYaml(text).hparams` parses as is, plus `contextTemplateLengthParams` and `maxBatchTokens`.
 * `layers` share the update and z is optimised after the last of them; `clampNormFactor` bounds each fact's
 * ||delta|| by ||h_L||.
 */
export interface MemitHparams extends LocateEditHparams {
  /** lambda in (lambda C + K K^T)^-1: how strongly the update preserves the keys of the corpus. */
  mom2UpdateWeight: number;
  /** Padded tokens per batched forward (z optimisation groups, key capture). */
  maxBatchTokens: number;
}

// MEMIT's layer selection is EasyEdit's way of naming `layers`; the layout knows the modules.
const ignoredKeys = ['layerSelection', ...MODULE_TEMPLATE_KEYS] as const;

const fields: HparamsFields<MemitHparams> = {
  ...locateEditFields,
  mom2UpdateWeight: field.number({ min: 0, exclusiveMin: true }),
  maxBatchTokens: field.integer({ min: 64 }),
};

/** EasyEdit's MEMIT values for GPT-2 XL (hparams/MEMIT/gpt2-xl.yaml). */
export const MEMIT_GPT2_XL_DEFAULTS: MemitHparams = {
  layers: [13, 14, 15, 16, 17],
  factToken: 'subject_last',
  vNumGradSteps: 20,
  vLr: 0.5,
  vLossLayer: 47,
  vWeightDecay: 0.5,
  clampNormFactor: 0.75,
  klFactor: 0.0625,
  mom2Adjustment: true,
  mom2UpdateWeight: 20000,
  mom2Dataset: 'llmedit-corpus',
  mom2NSamples: 100_000,
  mom2Dtype: 'float32',
  contextTemplateLengthParams: [[10, 5]],
  maxBatchTokens: 4096,
};

/** MEMIT hyperparameters (defaults: EasyEdit's GPT-2 XL file). */
export const memitHparams: HparamsSpec<MemitHparams> = defineHparams<MemitHparams>(
  MEMIT_GPT2_XL_DEFAULTS,
  fields,
  { ignoredKeys, refine: checkLocateEditHparams },
);
