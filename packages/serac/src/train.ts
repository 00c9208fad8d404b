import {
  createRng,
  type EditProgress,
  type EditRequest,
  InvalidRequestError,
  type Rng,
  tf,
} from '@llmedit/core';
import { type CausalLM, createModel, padBatch } from '@llmedit/models';
import {
  SERAC_ARTIFACT_FORMAT,
  SERAC_ARTIFACT_VERSION,
  type SeracArtifact,
  type SeracTrainingReport,
  seracArtifact,
} from './artifact.js';
import {
  type CopyProposal,
  type CopyWeights,
  type CounterfactualExample,
  copyProposal,
  counterfactualExamples,
  trainCounterfactual,
} from './counterfactual.js';
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

/** What the counterfactual model does at one answer position of an example (teacher-forced). */
interface AnswerPosition {
  readonly expected: number;
  readonly argmax: number;
  readonly pExpected: number;
  readonly pArgmax: number;
  /** The copy mechanism's proposal and the model's probability of it. */
  readonly proposal: CopyProposal | undefined;
  readonly pProposal: number;
}

/** Score every answer position of `examples` once (one forward per batch). */
function answerPositions(
  model: CausalLM,
  examples: readonly CounterfactualExample[],
  batchSize = 32,
): AnswerPosition[] {
  const out: AnswerPosition[] = [];
  for (let start = 0; start < examples.length; start += batchSize) {
    const chunk = examples.slice(start, start + batchSize);
    const batch = padBatch(
      chunk.map((e) => e.ids),
      model.padTokenId,
      'right',
    );
    const positions: [number, number][] = [];
    const meta: { expected: number; proposal: CopyProposal | undefined }[] = [];
    chunk.forEach((e, b) => {
      for (let t = e.answerStart - 1; t + 1 < e.answerEnd; t++) {
        positions.push([b, t]);
        meta.push({
          expected: e.ids[t + 1] as number,
          proposal: copyProposal(e.ids, e.contextLength, t, e.editAnswer),
        });
      }
    });
    const { logits } = model.forward(batch, { logits: { positions } });
    const probs = tf.tidy(() => tf.softmax(logits as tf.Tensor));
    logits?.dispose();
    const values = probs.dataSync() as Float32Array;
    probs.dispose();
    const vocab = model.config.vocabSize;
    meta.forEach(({ expected, proposal }, i) => {
      const row = values.subarray(i * vocab, (i + 1) * vocab);
      let argmax = 0;
      for (let v = 1; v < vocab; v++) if ((row[v] as number) > (row[argmax] as number)) argmax = v;
      out.push({
        expected,
        argmax,
        pExpected: row[expected] as number,
        pArgmax: row[argmax] as number,
        proposal,
        pProposal: proposal === undefined ? 0 : (row[proposal.token] as number),
      });
    });
  }
  return out;
}

const NO_COPY: CopyWeights = { next: 0, first: 0 };

function weightOf(p: AnswerPosition, weights: CopyWeights): number {
  return p.proposal === undefined ? 0 : p.proposal.first ? weights.first : weights.next;
}

/** Token accuracy under the mixture: its argmax is the proposal c when (1 − λ)·p(c) + λ ≥ (1 − λ)·p(argmax). */
function copyAccuracy(positions: readonly AnswerPosition[], weights: CopyWeights): number {
  let correct = 0;
  for (const p of positions) {
    const w = weightOf(p, weights);
    const copies = p.proposal !== undefined && (1 - w) * p.pProposal + w >= (1 - w) * p.pArgmax;
    if ((copies ? p.proposal?.token : p.argmax) === p.expected) correct++;
  }
  return correct / Math.max(1, positions.length);
}

/** Teacher-forced accuracy of the answer tokens of `examples`, with the copy mechanism at `weights`. */
export function answerAccuracy(
  model: CausalLM,
  examples: readonly CounterfactualExample[],
  weights: CopyWeights = NO_COPY,
): number {
  return copyAccuracy(answerPositions(model, examples), weights);
}

/** The grid the copy weights are fitted on. */
const WEIGHT_GRID = [...Array.from({ length: 20 }, (_, i) => i * 0.05), 0.99];

/**
 * The copy weights (each on a grid in [0, 0.99]) that maximise the log-likelihood of the answer tokens of
 * `examples` under (1 − λ)·p_model + λ·onehot(proposal): fitted on held-out edits, a gate with two
 * parameters. The two kinds of proposals touch disjoint positions, so each weight is fitted on its own. The
 * examples must include in-scope questions whose answer is not the edit's (portability questions): on the
 * edit's own prompts alone, "always answer the edit" would win and the weight of a_0 would go to 0.99.
 */
export function fitCopyWeights(model: CausalLM, examples: readonly CounterfactualExample[]): CopyWeights {
  const positions = answerPositions(model, examples);
  const fit = (first: boolean) => {
    let best = 0;
    let bestLikelihood = Number.NEGATIVE_INFINITY;
    for (const w of WEIGHT_GRID) {
      let likelihood = 0;
      for (const p of positions) {
        if (p.proposal === undefined || p.proposal.first !== first) continue;
        const mixed = (1 - w) * p.pExpected + (p.proposal.token === p.expected ? w : 0);
        likelihood += Math.log(Math.max(mixed, 1e-30));
      }
      if (likelihood > bestLikelihood) {
        bestLikelihood = likelihood;
        best = w;
      }
    }
    return best;
  };
  return { next: fit(false), first: fit(true) };
}

/**
 * Train SERAC for `model` on `requests` (a training split): the scope classifier on the base model's frozen
 * features, then the counterfactual model, a fine-tuned copy of the base model. A `validationFraction` of the
 * requests is held out and measured. The base model is only read.
 */
export async function trainSerac(
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: SeracHparams,
  context: SeracTrainingContext,
): Promise<SeracArtifact> {
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
    const trained = await trainCounterfactual(counterfactual, training, {
      threads: hparams.threads,
      epochs: hparams.counterfactualEpochs,
      learningRate: hparams.counterfactualLr,
      batchTokens: hparams.counterfactualBatchTokens,
      randomTargetFraction: hparams.randomTargetFraction,
      outOfScopePerEdit: hparams.outOfScopePerEdit,
      composedTargetFraction: hparams.composedTargetFraction,
      endOfText: true,
      seed: context.seed + 1,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      onStep: (fraction) => report('counterfactual model', fraction),
    });
    const copyWeights = fitCopyWeights(
      counterfactual,
      counterfactualExamples(
        counterfactual,
        validation,
        { randomTargetFraction: 0, outOfScopePerEdit: 0, portability: true },
        rng.fork(4),
      ),
    );
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
        validationAccuracyAfter: answerAccuracy(counterfactual, validationExamples),
        copyWeights,
        validationAccuracyWithCopy: answerAccuracy(counterfactual, validationExamples, copyWeights),
      },
      seconds: (performance.now() - started) / 1000,
    };
    return seracArtifact(
      {
        format: SERAC_ARTIFACT_FORMAT,
        version: SERAC_ARTIFACT_VERSION,
        baseModelId: model.modelId,
        classifierLayer: hparams.classifierLayer,
        copyWeights,
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
