import { defineHparams, field, type HparamsSpec } from '@llmedit/core';
import type { SplitDataset } from '@llmedit/datasets';

/**
 * SERAC hyperparameters. Editing reads only `scopeThreshold`; the rest shape `doPrepare`'s training and are
 * written into the artifact it saves. EasyEdit's SERAC training keys (`lr`, `max_iters`, the distilbert
 * classifier, `cls_name`, ...) describe networks we do not train here and are ignored when a YAML is read.
 */
export interface SeracHparams {
  /** A query goes to the counterfactual model when its nearest edit's scope probability exceeds this (SERAC: 0.5). */
  scopeThreshold: number;
  /** Training splits `doPrepare` uses by default (the evaluation splits never are). */
  trainingDatasets: SplitDataset[];
  /** Base-model block whose output (with the token embedding) the classifier reads. */
  classifierLayer: number;
  /** Width of the classifier's projection. */
  classifierDim: number;
  classifierEpochs: number;
  classifierLr: number;
  classifierBatchSize: number;
  /** Random other training prompts used as negatives per edit (besides its own locality prompts). */
  classifierRandomNegatives: number;
  counterfactualEpochs: number;
  counterfactualLr: number;
  /** Padded tokens per optimizer step of the counterfactual model. */
  counterfactualBatchTokens: number;
  /** See `CounterfactualSampling.randomTargetFraction`. */
  randomTargetFraction: number;
  /** See `CounterfactualSampling.outOfScopePerEdit`. */
  outOfScopePerEdit: number;
  /** See `CounterfactualSampling.composedTargetFraction`. */
  composedTargetFraction: number;
  /** Training records held out of training to measure the classifier and counterfactual model. */
  validationFraction: number;
  /** Threads for the counterfactual model's gradients (data-parallel; same updates up to float order). */
  threads: number;
}

const ignoredKeys = [
  'archive',
  'lr',
  'maxIters',
  'clsName',
  'clsClass',
  'modelName',
  'smallName',
  'modelClass',
  'tokenizerClass',
  'tokenizerName',
  'device',
  'resultsDir',
  'modelParallel',
] as const;

export const seracHparams: HparamsSpec<SeracHparams> = defineHparams<SeracHparams>(
  {
    scopeThreshold: 0.5,
    trainingDatasets: ['counterfact', 'zsre'],
    classifierLayer: 0,
    classifierDim: 64,
    classifierEpochs: 6,
    classifierLr: 3e-3,
    classifierBatchSize: 64,
    classifierRandomNegatives: 3,
    counterfactualEpochs: 6,
    counterfactualLr: 1e-3,
    counterfactualBatchTokens: 2048,
    randomTargetFraction: 0.5,
    outOfScopePerEdit: 2,
    composedTargetFraction: 0,
    validationFraction: 0.1,
    threads: 1,
  },
  {
    scopeThreshold: field.number({ min: 0, max: 1 }),
    trainingDatasets: field.array(field.oneOf(['counterfact', 'zsre'] as const), { minLength: 1 }),
    classifierLayer: field.integer({ min: 0 }),
    classifierDim: field.integer({ min: 1 }),
    classifierEpochs: field.integer({ min: 0 }),
    classifierLr: field.number({ min: 0 }),
    classifierBatchSize: field.integer({ min: 1 }),
    classifierRandomNegatives: field.integer({ min: 0 }),
    counterfactualEpochs: field.integer({ min: 0 }),
    counterfactualLr: field.number({ min: 0 }),
    counterfactualBatchTokens: field.integer({ min: 16 }),
    randomTargetFraction: field.number({ min: 0, max: 1 }),
    outOfScopePerEdit: field.integer({ min: 0 }),
    composedTargetFraction: field.number({ min: 0, max: 1 }),
    validationFraction: field.number({ min: 0, max: 0.5 }),
    threads: field.integer({ min: 1 }),
  },
  { ignoredKeys },
);
