import { type FieldValidator, field, type HparamsFields, InvalidHparamsError } from '@llmedit/core';
import { FACT_TOKENS, type FactToken } from './prompts.js';

/**
 * The hyperparameters ROME and MEMIT share: EasyEdit's keys in camelCase (reference/easyedit.md sections 4.2
 * and 4.4), so that `readEasyEditYaml(text).hparams` parses as is.
 */
export interface LocateEditHparams {
  /** The block(s) whose MLP output projection is rewritten. */
  layers: number[];
  /** Where the key is read and the value written. */
  factToken: FactToken;
  /** Gradient evaluations of the target-value optimisation (the last only measures). */
  vNumGradSteps: number;
  /** Adam learning rate of the target value. */
  vLr: number;
  /**
   * Layer whose output gives the target-value loss. Accepted for EasyEdit files, whose presets always name
   * the last layer; llmedit always reads the model's output.
   */
  vLossLayer: number;
  /** Weight of ||delta|| / ||v0||^2 in the target-value loss. */
  vWeightDecay: number;
  /** ||delta|| <= clampNormFactor * ||v0|| (ROME) or * ||h_L|| (MEMIT). */
  clampNormFactor: number;
  /** Weight of the KL term on "{subject} is a". */
  klFactor: number;
  /** Use the covariance statistics C = E[k k^T]; false replaces C by the identity (no statistics). */
  mom2Adjustment: boolean;
  /** [tokens, count] pairs of the sampled context prefixes. */
  contextTemplateLengthParams: [number, number][];
  /** Name of the statistics source in the cache path (EasyEdit 'wikipedia'). */
  mom2Dataset: string;
  /** Documents streamed for C. */
  mom2NSamples: number;
  /** Precision of the stored statistics; llmedit stores float32 and solves in float64. */
  mom2Dtype: 'float32' | 'float64';
  /** Statistics folder (default: `stats` in the user's cache folder, see `defaultStatsDir`). */
  statsDir?: string;
}

/** EasyEdit keys that locate modules the model's layout already knows, or that llmedit has no use for. */
export const MODULE_TEMPLATE_KEYS = [
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

/** Validators of the shared fields, for a method's `defineHparams`. */
export const locateEditFields: HparamsFields<LocateEditHparams> = {
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

/** Checks across the shared fields: no repeated layer, prefixes of at least one token. */
export function checkLocateEditHparams(hparams: LocateEditHparams): void {
  if (new Set(hparams.layers).size !== hparams.layers.length) {
    throw new InvalidHparamsError('layers', `must not repeat a layer, got [${hparams.layers}]`);
  }
  hparams.contextTemplateLengthParams.forEach(([length], i) => {
    if (length < 1) {
      throw new InvalidHparamsError(`contextTemplateLengthParams[${i}][0]`, 'the prefix length must be >= 1');
    }
  });
}
