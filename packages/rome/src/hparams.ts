import {
  defineHparams,
  type FieldValidator,
  field,
  type HparamsFields,
  type HparamsSpec,
  InvalidHparamsError,
} from '@llmedit/core';
import { FACT_TOKENS, type FactToken } from '@llmedit/locate';

/**
 * ROME hyperparameters: EasyEdit's ROME keys in camelCase (reference/easyedit.md section 4.2), so
 * `readEasyEditYaml(text).hparams` parses as is.
 */
export interface RomeHparams {
  /** The block(s) whose MLP output projection is rewritten (ROME uses one). */
  layers: number[];
  /** Where the key is read and the value written. */
  factToken: FactToken;
  /** Gradient evaluations of the v* optimisation (the last only measures). */
  vNumGradSteps: number;
  /** Adam learning rate of v*. */
  vLr: number;
  /**
   * Layer whose output gives the v* loss. Accepted for EasyEdit files, whose presets always name the last
   * layer; llmedit always reads the model's output (see README).
   */
  vLossLayer: number;
  /** Weight of ||delta|| / ||v0||^2 in the v* loss. */
  vWeightDecay: number;
  /** ||delta|| <= clampNormFactor * ||v0||. */
  clampNormFactor: number;
  /** Weight of the KL term on "{subject} is a". */
  klFactor: number;
  /** Use u = C^-1 k (covariance statistics) instead of u = k. */
  mom2Adjustment: boolean;
  /** [tokens, count] pairs of the sampled context prefixes. */
  contextTemplateLengthParams: [number, number][];
  /** Name of the statistics source in the cache path (EasyEdit 'wikipedia'). */
  mom2Dataset: string;
  /** Documents streamed for C. */
  mom2NSamples: number;
  /** Precision of the stored statistics; llmedit stores float32 and solves in float64. */
  mom2Dtype: 'float32' | 'float64';
  /** Statistics folder (default: $LLMEDIT_STATS_DIR or .cache/llmedit/stats). */
  statsDir?: string;
}

/** R-ROME adds the key-consistency switches of EasyEdit's r_rome (Gupta et al. 2024). */
export interface RRomeHparams extends RomeHparams {
  /** Compute u and the update's denominator from the bare prompt's key only. */
  enablePromptKeys: boolean;
  /** Compute u, the denominator and the current output from the template-averaged key (default). */
  enableRandomPrefixKeys: boolean;
  /** ROME's original mix (averaged key for u, bare-prompt key for the denominator); overrides the others. */
  originalImplementation: boolean;
}

// EasyEdit keys that locate modules our layout already knows, or that llmedit has no use for.
const ignoredKeys = [
  'rewriteModuleTmp',
  'layerModuleTmp',
  'mlpModuleTmp',
  'attnModuleTmp',
  'lnFModule',
  'lmHeadModule',
  'maxLength',
  'modelParallel',
] as const;

const pairs = field.array(field.numberArray({ integer: true, min: 0, minLength: 2, maxLength: 2 }));
const lengthPairs: FieldValidator<[number, number][]> = {
  expected: 'a list of [prefix length, count] integer pairs',
  check: (value, path) => pairs.check(value, path).map(([length, count]) => [length ?? 0, count ?? 0]),
};

const romeFields: HparamsFields<RomeHparams> = {
  layers: field.numberArray({ integer: true, min: 0, minLength: 1 }),
  factToken: field.oneOf(FACT_TOKENS),
  vNumGradSteps: field.integer({ min: 1 }),
  vLr: field.number({ min: 0, exclusiveMin: true }),
  vLossLayer: field.integer({ min: 0 }),
  vWeightDecay: field.number({ min: 0 }),
  clampNormFactor: field.number({ min: 0, exclusiveMin: true }),
  klFactor: field.number({ min: 0 }),
  mom2Adjustment: field.boolean(),
  contextTemplateLengthParams: lengthPairs,
  mom2Dataset: field.string({ nonEmpty: true }),
  mom2NSamples: field.integer({ min: 1 }),
  mom2Dtype: field.oneOf(['float32', 'float64'] as const),
  statsDir: field.string({ nonEmpty: true }),
};

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

function refineRome(hparams: RomeHparams): void {
  hparams.contextTemplateLengthParams.forEach(([length], i) => {
    if (length < 1) {
      throw new InvalidHparamsError(`contextTemplateLengthParams[${i}][0]`, 'the prefix length must be >= 1');
    }
  });
  if (new Set(hparams.layers).size !== hparams.layers.length) {
    throw new InvalidHparamsError('layers', `must not repeat a layer, got [${hparams.layers}]`);
  }
}

/** ROME hyperparameters (defaults: EasyEdit's GPT-2 XL file with C = I). */
export const romeHparams: HparamsSpec<RomeHparams> = defineHparams<RomeHparams>(
  ROME_GPT2_XL_DEFAULTS,
  romeFields,
  { ignoredKeys, refine: refineRome },
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
    ...romeFields,
    enablePromptKeys: field.boolean(),
    enableRandomPrefixKeys: field.boolean(),
    originalImplementation: field.boolean(),
  },
  { ignoredKeys, refine: refineRome },
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
