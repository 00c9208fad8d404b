// MEND meta-training (Mitchell et al. 2022, arXiv:2110.11309, sec. 3.2 and Algorithm 1): edit with the current
// editor, take L_MEND on the edited weights, and back-propagate it to the editor through W̃ = W − α_ℓ ∇̃W_ℓ.
import {
  type EditProgress,
  type EditRequest,
  InvalidHparamsError,
  InvalidRequestError,
  type Tensor,
  tf,
} from '@llmedit/core';
import {
  applyDeltas,
  disposeFactors,
  editFactors,
  gradientsThroughDeltas,
  type MetaItem,
  type MetaShard,
  metaItems,
  metaLoss,
  metaLossModule,
  metaLossTerms,
  metaSample,
  requestExample,
  splitTrainingPool,
  type TargetExample,
  targetHits,
} from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
import { AdamW, contiguousShards, DataParallelGradients, shardGradients } from '@llmedit/pretrained';
import {
  MEND_ARTIFACT_FORMAT,
  MEND_ARTIFACT_VERSION,
  type MendArtifact,
  type MendValidation,
  mendArtifact,
} from './artifact.js';
import { MendEditor } from './editor.js';
import type { MendHparams } from './hparams.js';

export interface MendTrainingContext {
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EditProgress) => void;
}

/** L_MEND's gradient w.r.t. the edited weights, on this thread or data-parallel over the items. */
type WeightGradients = (items: readonly MetaItem[], names: readonly string[]) => Promise<Map<string, Tensor>>;

function shardsOf(items: readonly MetaItem[], threads: number, hparams: MendHparams): MetaShard[] {
  return contiguousShards(items, threads).map((part) => ({
    items: part,
    editCoefficient: hparams.editCoefficient,
    localityCoefficient: hparams.localityCoefficient,
  }));
}

/** Validation: each held-out edit alone, its L_MEND terms and target accuracy, then the weights restored. */
export function validateEditor(
  model: CausalLM,
  editor: MendEditor,
  items: readonly { edit: TargetExample; item: MetaItem }[],
  hparams: MendHparams,
): MendValidation {
  let editNll = 0;
  let localityKl = 0;
  let correct = 0;
  let targets = 0;
  for (const { edit, item } of items) {
    const factors = editFactors(model, [edit], hparams.layers);
    const deltas = editor.deltas(factors);
    disposeFactors(factors);
    const snapshot = applyDeltas(model, deltas);
    try {
      const terms = metaLossTerms(model, { items: [item], editCoefficient: 1, localityCoefficient: 1 });
      editNll += terms.edit.dataSync()[0]!;
      localityKl += terms.locality.dataSync()[0]!;
      tf.dispose([terms.edit, terms.locality]);
      const { hits, tokens } = targetHits(model, edit);
      correct += hits;
      targets += tokens;
    } finally {
      snapshot.restore();
      snapshot.dispose();
      tf.dispose([...deltas.values()]);
    }
  }
  const n = Math.max(1, items.length);
  return {
    loss: (hparams.editCoefficient * editNll + hparams.localityCoefficient * localityKl) / n,
    editNll: editNll / n,
    editAccuracy: targets === 0 ? 0 : correct / targets,
    localityKl: localityKl / n,
  };
}

/**
 * Meta-train a MEND editor for `model` on training-split requests (the model's weights are changed during a
 * step and restored exactly after it). Each step is one batch edit of `batchSize` requests: their factors
 * are stacked (gradients summed), transformed and applied; L_MEND is taken on the edited weights and its
 * gradient reaches the editor by the chain rule through the weight change. The validation edits (the first
 * `validationEdits` of a seeded shuffle) are never trained on; the editor with the best validation loss is
 * kept, and training stops after `patience` steps without improvement.
 */
export async function trainMend(
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: MendHparams,
  context: MendTrainingContext,
): Promise<MendArtifact> {
  for (const layer of hparams.layers) {
    if (layer >= model.config.numLayers) {
      throw new InvalidHparamsError(
        'layers',
        `layer ${layer} does not exist: the model has ${model.config.numLayers} layers`,
      );
    }
  }
  if (requests.length < 3)
    throw new InvalidRequestError('mend', 'trainingRequests', 'needs at least 3 requests');
  const started = performance.now();
  const { rng, validationPool, trainPool } = splitTrainingPool(
    requests,
    context.seed,
    hparams.validationEdits,
  );
  const validationRng = rng.fork(1);
  const validation = validationPool.map((_, i) => {
    const s = metaSample(
      model,
      validationPool,
      i,
      { maxLength: hparams.maxLength, rephrase: false },
      validationRng,
    );
    return { edit: s.edit, item: metaItems(model, [{ loss: s.edit, localityIds: s.localityIds }])[0]! };
  });

  const editor = MendEditor.create(model, hparams, context.seed);
  const names = editor.weights.map((w) => w.location.name);
  const adamOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, clipNorm: hparams.clipNorm };
  const networkOptimizer = new AdamW(adamOptions, () => false);
  const stepOptimizer = new AdamW(adamOptions, () => false);
  const parallel =
    hparams.threads > 1
      ? await DataParallelGradients.start<MetaShard>(model, {
          threads: hparams.threads,
          loss: metaLoss,
          lossModule: metaLossModule,
        })
      : undefined;
  const weightGradients: WeightGradients = async (items, edited) => {
    if (parallel !== undefined) {
      const { gradients } = await parallel.gradients(shardsOf(items, parallel.threads, hparams));
      const out = new Map<string, Tensor>();
      for (const [name, g] of Object.entries(gradients)) {
        if (edited.includes(name)) out.set(name, g);
        else g.dispose();
      }
      return out;
    }
    const variables = edited.map((n) => model.weight(n));
    const { grads } = shardGradients(model, variables, metaLoss, shardsOf(items, 1, hparams)[0]!);
    return new Map(edited.map((n, i) => [n, grads[i]!]));
  };

  try {
    // The norms start from one pass over a few training edits, so that step 0's identity editor is defined.
    const warmup = editFactors(
      model,
      trainPool
        .slice(0, Math.min(trainPool.length, 16))
        .map((r, i) => requestExample(model, r, hparams.maxLength, i)),
      hparams.layers,
    );
    editor.updateNorms(warmup);
    disposeFactors(warmup);
    const validationBefore = validateEditor(model, editor, validation, hparams);
    let best = {
      loss: validationBefore.loss,
      step: 0,
      tensors: editor.toHost(),
      validation: validationBefore,
    };
    let step = 0;
    for (step = 1; step <= hparams.steps; step++) {
      context.signal?.throwIfAborted();
      const picks = Array.from({ length: Math.min(hparams.batchSize, trainPool.length) }, () =>
        rng.int(trainPool.length),
      );
      const options = { maxLength: hparams.maxLength, rephrase: hparams.editLoss === 'rephrase' };
      const samples = picks.map((i) => metaSample(model, trainPool, i, options, rng));
      const items = metaItems(
        model,
        samples.map((s) => ({ loss: s.rephrase ?? s.edit, localityIds: s.localityIds })),
      );
      const factors = editFactors(
        model,
        samples.map((s) => s.edit),
        hparams.layers,
      );
      try {
        editor.updateNorms(factors);
        const deltas = editor.deltas(factors);
        const snapshot = applyDeltas(model, deltas);
        let gradients: Map<string, Tensor>;
        try {
          gradients = await weightGradients(items, names);
        } finally {
          snapshot.restore();
          snapshot.dispose();
          tf.dispose([...deltas.values()]);
        }
        const trainables = editor.trainables();
        const byName = gradientsThroughDeltas(trainables, () => editor.deltas(factors), gradients);
        tf.dispose([...gradients.values()]);
        const { step_sizes: stepGradient, ...networkGradients } = byName;
        networkOptimizer.apply(trainables, networkGradients, hparams.learningRate);
        if (hparams.stepSizeLearningRate > 0 && stepGradient !== undefined) {
          stepOptimizer.apply(trainables, { step_sizes: stepGradient }, hparams.stepSizeLearningRate);
        }
        tf.dispose(Object.values(byName));
      } finally {
        disposeFactors(factors);
      }
      if (step % hparams.validateEvery === 0 || step === hparams.steps) {
        const now = validateEditor(model, editor, validation, hparams);
        if (now.loss < best.loss) best = { loss: now.loss, step, tensors: editor.toHost(), validation: now };
        if (step - best.step >= hparams.patience) break;
      }
      context.onProgress?.({ stage: 'meta-train', fraction: step / hparams.steps });
    }
    editor.dispose();
    const kept = MendEditor.fromHost(model, hparams, best.tensors);
    if (typeof kept === 'string') throw new Error(`MEND: the kept editor does not fit: ${kept}`);
    return mendArtifact(
      {
        format: MEND_ARTIFACT_FORMAT,
        version: MEND_ARTIFACT_VERSION,
        baseModelId: model.modelId,
        hparams,
        report: {
          trainingRequests: trainPool.length,
          validationRequests: validation.length,
          seed: context.seed,
          steps: Math.min(step, hparams.steps),
          bestStep: best.step,
          seconds: (performance.now() - started) / 1000,
          validationBefore,
          validationAfter: best.validation,
          stepSizes: kept.stepSizes(),
        },
      },
      kept,
    );
  } catch (error) {
    editor.dispose();
    throw error;
  } finally {
    networkOptimizer.dispose();
    stepOptimizer.dispose();
    await parallel?.close();
  }
}
