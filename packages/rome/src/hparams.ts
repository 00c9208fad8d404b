import { defineHparams, field, type HparamsSpec } from '@llmedit/core';
import {
  checkLocateEditHparams,
  type LocateEditHparams,
  locateEditFields,
  MODULE_TEMPLATE_KEYS,
} from '@llmedit/locate';

/**
 * ROME hyperparameters: EasyEdit's ROME keys in camelCase (reference/easyedit.md section 4.2), so
 * `readEasyEditYaml(text).hparams` parses as is.
 */
export type RomeHparams = LocateEditHparams;

/** R-ROME adds the key-consistency switches of EasyEdit's r_rome (Gupta et al. 2024). */
export interface RRomeHparams extends RomeHparams {
  /** Compute u and the update's denominator from the bare prompt's key only. */
  enablePromptKeys: boolean;
  /** Compute u, the denominator and the current output from the template-averaged key (default). */
  enableRandomPrefixKeys: boolean;
  /** ROME's original mix (averaged key for u, bare-prompt key for the denominator); overrides the others. */
  originalImplementation: boolean;
}

/**
 * EasyEdit's ROME values for GPT-2 XL (hparams/ROME/gpt2-xl.yaml) with `mom2_adjustment: false`, EasyEdit's
 * default in its ROME files (C = I: no statistics needed).
 */
export const ROME_GPT2_XL_DEFAULTS: RomeHparams = {
  layers: [17],
  factToken: 'subject_last',
  vNumGradSteps: 20,
  vLr: 0.5,
  vLossLayer: 47,
  vWeightDecay: 0.5,
  clampNormFactor: 4,
  klFactor: 0.0625,
  mom2Adjustment: false,
  contextTemplateLengthParams: [
    [5, 10],
    [10, 10],
  ],
  mom2Dataset: 'llmedit-corpus',
  mom2NSamples: 100_000,
  mom2Dtype: 'float32',
};

/** ROME hyperparameters (defaults: EasyEdit's GPT-2 XL file with C = I). */
export const romeHparams: HparamsSpec<RomeHparams> = defineHparams<RomeHparams>(
  ROME_GPT2_XL_DEFAULTS,
  locateEditFields,
  { ignoredKeys: MODULE_TEMPLATE_KEYS, refine: checkLocateEditHparams },
);

/** R-ROME hyperparameters: ROME's plus the three key switches (EasyEdit r_rome_hparams defaults). */
export const rRomeHparams: HparamsSpec<RRomeHparams> = defineHparams<RRomeHparams>(
  {
    ...ROME_GPT2_XL_DEFAULTS,
    enablePromptKeys: false,
    enableRandomPrefixKeys: true,
    originalImplementation: false,
  },
  {
    ...locateEditFields,
    enablePromptKeys: field.boolean(),
    enableRandomPrefixKeys: field.boolean(),
    originalImplementation: field.boolean(),
  },
  { ignoredKeys: MODULE_TEMPLATE_KEYS, refine: checkLocateEditHparams },
);

/** Which key each part of the rank-one update uses. */
export type KeyMode =
  /** ROME as published: u from the averaged key, denominator and current value from the bare prompt. */
  | 'original'
  /** R-ROME: the averaged key (and averaged current value) everywhere. */
  | 'averaged'
  /** R-ROME with prompt keys: the bare prompt's key everywhere. */
  | 'prompt';

/** The key mode R-ROME's switches select (EasyEdit's precedence: original, then random prefixes, then prompt). */
export function rRomeKeyMode(hparams: RRomeHparams): KeyMode {
  if (hparams.originalImplementation) return 'original';
  if (hparams.enableRandomPrefixKeys) return 'averaged';
  return 'prompt';
}
