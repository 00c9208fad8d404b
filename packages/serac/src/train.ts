import {
  createRng,
  type EditProgress,
  type EditRequest,
  InvalidRequestError,
  type Rng,
  tf,
} from '@llmedit/core';
import { type CausalLM, createModel } from '@llmedit/models';
import {
  SERAC_ARTIFACT_FORMAT,
  SERAC_ARTIFACT_VERSION,
  type SeracArtifact,
  type SeracTrainingReport,
  seracArtifact,
} from './artifact.js';
import { type CounterfactualExample, counterfactualExamples, trainCounterfactual } from './counterfactual.js';
import { type TokenFeatures, textFeatures } from './features.js';
import type { SeracHparams } from './hparams.js';
import {
  projectText,
  type ScopeClassifierWeights,
  type ScopePair,
  scopeProbability,
  trainScopeClassifier,
} from './scope-classifier.js';

export interface SeracTrainingContext {
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EditProgress) => void;
}

interface TextPair {
  readonly edit: string;
  readonly query: string;
  readonly inScope: boolean;
}

/**
 * The classifier's labelled pairs for a set of edits: each edit's own prompt and rephrases are in scope;
 * its locality prompts (CounterFact's neighbours share the relation, the hard case) and the prompts of
 * `randomNegatives` other edits are not.
 */
export function scopePairs(requests: readonly EditRequest[], randomNegatives: number, rng: Rng): TextPair[] {
  const pairs: TextPair[] = [];
  requests.forEach((request, index) => {
    const edit = request.prompt;
    pairs.push({ edit, query: edit, inScope: true });
    for (const query of request.rephrasePrompts ?? []) pairs.push({ edit, query, inScope: true });
    for (const query of Object.values(request.locality ?? {}).flat()) {
      pairs.push({ edit, query: query.prompt, inScope: false });
    }
    for (let k = 0; k < randomNegatives && requests.length > 1; k++) {
      let other = rng.int(requests.length - 1);
      if (other >= index) other++;
      const source = requests[other] as EditRequest;
      const options = [source.prompt, ...(source.rephrasePrompts ?? [])];
      pairs.push({ edit, query: options[rng.int(options.length)] as string, inScope: false });
    }
  });
  return pairs;
}

function featurePairs(model: CausalLM, pairs: readonly TextPair[], layer: number): ScopePair[] {
  const texts = [...new Set(pairs.flatMap((p) => [p.edit, p.query]))];
  const features = textFeatures(model, texts, layer);
  const byText = new Map(texts.map((t, i) => [t, features[i] as TokenFeatures]));
  return pairs.map((p) => ({
    edit: byText.get(p.edit) as TokenFeatures,
    query: byText.get(p.query) as TokenFeatures,
    inScope: p.inScope,
  }));
}

/** Recall on in-scope pairs and specificity on out-of-scope pairs at `threshold`. */
export function scopeRates(
  classifier: ScopeClassifierWeights,
  pairs: readonly ScopePair[],
  threshold: number,
): { recall: number; specificity: number } {
  let found = 0;
  let inScope = 0;
  let kept = 0;
  let outOfScope = 0;
  for (const pair of pairs) {
    const p = scopeProbability(
      classifier,
      projectText(classifier, pair.edit, true),
      projectText(classifier, pair.query, false),
    );
    if (pair.inScope) {
      inScope++;
      if (p > threshold) found++;
    } else {
      outOfScope++;
      if (p <= threshold) kept++;
    }
  }
  return { recall: found / Math.max(1, inScope), specificity: kept / Math.max(1, outOfScope) };
}

/** Teacher-forced accuracy of the answer tokens of `examples` (argmax at each answer position). */
export function answerAccuracy(
  model: CausalLM,
  examples: readonly CounterfactualExample[],
  batchSize = 32,
): number {
  let correct = 0;
  let total = 0;
  for (let start = 0; start < examples.length; start += batchSize) {
    const chunk = examples.slice(start, start + batchSize);
    const length = Math.max(...chunk.map((e) => e.ids.length));
    const positions: [number, number][] = [];
    const expected: number[] = [];
    chunk.forEach((e, b) => {
      for (let t = e.answerStart - 1; t + 1 < e.ids.length; t++) {
        positions.push([b, t]);
        expected.push(e.ids[t + 1] as number);
      }
    });
    const ids = chunk.map((e) => [
      ...e.ids,
      ...new Array<number>(length - e.ids.length).fill(model.padTokenId),
    ]);
    const attentionMask = chunk.map((e) => [
      ...new Array<number>(e.ids.length).fill(1),
      ...new Array<number>(length - e.ids.length).fill(0),
    ]);
    const { logits } = model.forward({ ids, attentionMask }, { logits: { positions } });
    const argmax = tf.tidy(() => tf.argMax(logits as tf.Tensor, -1));
    const predicted = argmax.dataSync();
    tf.dispose([logits, argmax]);
    expected.forEach((token, i) => {
      if (predicted[i] === token) correct++;
    });
    total += expected.length;
  }
  return correct / Math.max(1, total);
}

/**
 * Train SERAC for `model` on `requests` (a training split): the scope classifier on the base model's frozen
 * features, then the counterfactual model, a fine-tuned copy of the base model. A `validationFraction` of the
 * requests is held out and measured. The base model is only read.
 */
export function trainSerac(
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: SeracHparams,
  context: SeracTrainingContext,
): SeracArtifact {
  if (requests.length < 2) {
    throw new InvalidRequestError(
      'serac prepare',
      'trainingRequests',
      `needs at least 2 requests, got ${requests.length}`,
    );
  }
  if (hparams.classifierLayer >= model.config.numLayers) {
    throw new InvalidRequestError(
      'serac prepare',
      'classifierLayer',
      `is ${hparams.classifierLayer}; the model has layers 0..${model.config.numLayers - 1}`,
    );
  }
  const started = performance.now();
  const rng = createRng(context.seed);
  const shuffled = [...requests];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] as EditRequest, shuffled[i] as EditRequest];
  }
  const held = Math.min(shuffled.length - 1, Math.round(shuffled.length * hparams.validationFraction));
  const validation = shuffled.slice(0, held);
  const training = shuffled.slice(held);
  const report = (stage: string, fraction: number) => context.onProgress?.({ stage, fraction });

  // 1. Scope classifier.
  const classifierStart = performance.now();
  report('classifier features', 0);
  const trainPairs = featurePairs(
    model,
    scopePairs(training, hparams.classifierRandomNegatives, rng.fork(1)),
    hparams.classifierLayer,
  );
  const validationPairs = featurePairs(
    model,
    scopePairs(validation, hparams.classifierRandomNegatives, rng.fork(2)),
    hparams.classifierLayer,
  );
  const { weights: classifier, finalLoss: classifierLoss } = trainScopeClassifier(
    trainPairs,
    2 * model.config.hiddenSize,
    {
      dim: hparams.classifierDim,
      epochs: hparams.classifierEpochs,
      learningRate: hparams.classifierLr,
      batchSize: hparams.classifierBatchSize,
      seed: context.seed,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      onStep: (fraction) => report('classifier', fraction),
    },
  );
  const rates = scopeRates(classifier, validationPairs, hparams.scopeThreshold);
  const classifierSeconds = (performance.now() - classifierStart) / 1000;

  // 2. Counterfactual model: a copy of the base model, fine-tuned to answer from the edit in its context.
  const counterfactualStart = performance.now();
  const counterfactual = createModel(
    model.config,
    new Map(
      model.weightNames().map((name) => {
        const w = model.weight(name);
        return [name, { shape: [...w.shape], data: Float32Array.from(w.dataSync() as Float32Array) }];
      }),
    ),
    model.tokenizer,
    'serac-counterfactual',
  );
  try {
    const validationExamples = counterfactualExamples(
      counterfactual,
      validation,
      { randomTargetFraction: 0, outOfScopePerEdit: 0 },
      rng.fork(3),
    );
    const before = answerAccuracy(counterfactual, validationExamples);
    const trained = trainCounterfactual(counterfactual, training, {
      epochs: hparams.counterfactualEpochs,
      learningRate: hparams.counterfactualLr,
      batchTokens: hparams.counterfactualBatchTokens,
      randomTargetFraction: hparams.randomTargetFraction,
      outOfScopePerEdit: hparams.outOfScopePerEdit,
      composedTargetFraction: hparams.composedTargetFraction,
      seed: context.seed + 1,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      onStep: (fraction) => report('counterfactual model', fraction),
    });
    const after = answerAccuracy(counterfactual, validationExamples);
    const trainingReport: SeracTrainingReport = {
      trainingRequests: training.length,
      validationRequests: validation.length,
      seed: context.seed,
      classifier: {
        pairs: trainPairs.length,
        seconds: classifierSeconds,
        finalLoss: classifierLoss,
        validationRecall: rates.recall,
        validationSpecificity: rates.specificity,
      },
      counterfactual: {
        steps: trained.steps,
        examples: trained.examples,
        seconds: (performance.now() - counterfactualStart) / 1000,
        finalLoss: trained.finalLoss,
        validationAccuracyBefore: before,
        validationAccuracyAfter: after,
      },
      seconds: (performance.now() - started) / 1000,
    };
    return seracArtifact(
      {
        format: SERAC_ARTIFACT_FORMAT,
        version: SERAC_ARTIFACT_VERSION,
        baseModelId: model.modelId,
        classifierLayer: hparams.classifierLayer,
        hparams,
        report: trainingReport,
      },
      classifier,
      counterfactual,
    );
  } catch (error) {
    counterfactual.dispose();
    throw error;
  }
}
