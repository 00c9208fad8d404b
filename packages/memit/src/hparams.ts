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
 * MEMIT hyperparameters: EasyEdit's MEMIT keys in camelCase (reference/easyedit.md section 4.4), so
 * `readEasyEditYaml(text).hparams` parses as is, plus `contextTemplateLengthParams` and `maxBatchTokens`.
 */
export interface MemitHparams {
  /** The blocks whose MLP output projections share the update; the last one is where z is optimised. */
  layers: number[];
  factToken: FactToken;
  /** Gradient evaluations of each z optimisation (the last only measures). */
  vNumGradSteps: number;
  vLr: number;
  /** Accepted for EasyEdit files (always the last layer there); llmedit reads the model's output. */
  vLossLayer: number;
  vWeightDecay: number;
  /** ||delta|| <= clampNormFactor * ||h_L|| for each fact's residual target. */
  clampNormFactor: number;
  klFactor: number;
  /**
   * Use the covariance prior C = E[k k^T]. MEMIT needs it; false replaces C by the identity (a ridge
   * prior), which needs no statistics.
   */
  mom2Adjustment: boolean;
  /** lambda in (lambda C + K K^T)^-1: how strongly the update preserves the keys of the corpus. */
  mom2UpdateWeight: number;
  mom2Dataset: string;
  mom2NSamples: number;
  mom2Dtype: 'float32' | 'float64';
  /** [tokens, count] pairs of the sampled context prefixes (MEMIT: [[10, 5]]). */
  contextTemplateLengthParams: [number, number][];
  /** Padded tokens per batched forward (z optimisation groups, key capture). */
  maxBatchTokens: number;
  statsDir?: string;
}

const ignoredKeys = [
  'layerSelection',
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

const fields: HparamsFields<MemitHparams> = {
  layers: field.numberArray({ integer: true, min: 0, minLength: 1 }),
  factToken: field.oneOf(FACT_TOKENS),
  vNumGradSteps: field.integer({ min: 1 }),
  vLr: field.number({ min: 0, exclusiveMin: true }),
  vLossLayer: field.integer({ min: 0 }),
  vWeightDecay: field.number({ min: 0 }),
  clampNormFactor: field.number({ min: 0, exclusiveMin: true }),
  klFactor: field.number({ min: 0 }),
  mom2Adjustment: field.boolean(),
  mom2UpdateWeight: field.number({ min: 0, exclusiveMin: true }),
  mom2Dataset: field.string({ nonEmpty: true }),
  mom2NSamples: field.integer({ min: 1 }),
  mom2Dtype: field.oneOf(['float32', 'float64'] as const),
  contextTemplateLengthParams: lengthPairs,
  maxBatchTokens: field.integer({ min: 64 }),
  statsDir: field.string({ nonEmpty: true }),
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
  {
    ignoredKeys,
    refine(hparams) {
      if (new Set(hparams.layers).size !== hparams.layers.length) {
        throw new InvalidHparamsError('layers', `must not repeat a layer, got [${hparams.layers}]`);
      }
      hparams.contextTemplateLengthParams.forEach(([length], i) => {
        if (length < 1) {
          throw new InvalidHparamsError(
            `contextTemplateLengthParams[${i}][0]`,
            'the prefix length must be >= 1',
          );
        }
      });
    },
  },
);
