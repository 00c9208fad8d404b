// KnowledgeEditor (De Cao et al. 2021, arXiv:2104.08164) sec. 3, eq. 3: min_φ Σ_{x̂ ∈ P^x} L(θ'; x̂, a) s.t.
// C_KL(θ, θ'; O^x) ≤ m, solved as the Lagrangian max_{λ≥0} min_φ L + λ (C_KL − m) with θ' = θ + g_φ(x, a, ∇L).
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
  gradientsThroughDeltas,
  type MetaItem,
  type MetaShard,
  metaItems,
  metaLoss,
  metaLossModule,
  metaLossTerms,
  metaSample,
  splitTrainingPool,
  type TargetExample,
  targetHits,
} from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
import { AdamW, contiguousShards, DataParallelGradients } from '@llmedit/pretrained';
import {
  KE_ARTIFACT_FORMAT,
  KE_ARTIFACT_VERSION,
  type KeArtifact,
  type KeValidation,
  keArtifact,
} from './artifact.js';
import { KeEditor } from './editor.js';
import { conditionIds, editGradients } from './gradient.js';
import type { KeHparams } from './hparams.js';

export interface KeTrainingContext {
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EditProgress) => void;
}

/** One training edit: what conditions the hypernetwork, where its gradient is taken, and its loss items. */
interface KeExample {
  readonly edit: TargetExample;
  readonly rephrase: TargetExample | undefined;
  readonly condition: number[];
  /** The loss terms: the prompt and a rephrase (alternating), each beside one unrelated sequence. */
  readonly items: MetaItem[];
}

function keExample(
  model: CausalLM,
  pool: readonly EditRequest[],
  index: number,
  hparams: KeHparams,
  rng: ReturnType<typeof splitTrainingPool>['rng'],
): KeExample {
  const options = { maxLength: hparams.maxLength, rephrase: true };
  const first = metaSample(model, pool, index, options, rng);
  const locality = [first.localityIds];
  while (locality.length < hparams.localitySequences) {
    locality.push(metaSample(model, pool, index, { ...options, rephrase: false }, rng).localityIds);
  }
  const items = metaItems(
    model,
    locality.map((ids, k) => ({
      loss: k % 2 === 1 && first.rephrase !== undefined ? first.rephrase : first.edit,
      localityIds: ids,
    })),
  );
  return {
    edit: first.edit,
    rephrase: first.rephrase,
    condition: conditionIds(model, pool[index]!, hparams.maxLength),
    items,
  };
}

/** The hypernetwork's input for one edit: the fine-tuning gradient at its prompt (independent of φ). */
function exampleGradients(model: CausalLM, editor: KeEditor, example: KeExample): Map<string, Tensor> {
  return editGradients(model, [example.edit], editor.weights);
}

/** Validation: each held-out edit alone, its loss terms and target accuracies, then the weights restored. */
export function validateKeEditor(
  model: CausalLM,
  editor: KeEditor,
  examples: readonly KeExample[],
): KeValidation {
  let editNll = 0;
  let localityKl = 0;
  let promptHits = 0;
  let promptTokens = 0;
  let rephraseHits = 0;
  let rephraseTokens = 0;
  for (const example of examples) {
    const gradients = exampleGradients(model, editor, example);
    const deltas = editor.deltas([example.condition], gradients);
    tf.dispose([...gradients.values()]);
    const snapshot = applyDeltas(model, deltas);
    try {
      const terms = metaLossTerms(model, {
        items: example.items,
        editCoefficient: 1,
        localityCoefficient: 1,
      });
      editNll += terms.edit.dataSync()[0]!;
      localityKl += terms.locality.dataSync()[0]!;
      tf.dispose([terms.edit, terms.locality]);
      const prompt = targetHits(model, example.edit);
      promptHits += prompt.hits;
      promptTokens += prompt.tokens;
      const rephrase = targetHits(model, example.rephrase ?? example.edit);
      rephraseHits += rephrase.hits;
      rephraseTokens += rephrase.tokens;
    } finally {
      snapshot.restore();
      snapshot.dispose();
      tf.dispose([...deltas.values()]);
    }
  }
  const n = Math.max(1, examples.length);
  return {
    editNll: editNll / n,
    editAccuracy: promptTokens === 0 ? 0 : promptHits / promptTokens,
    rephraseAccuracy: rephraseTokens === 0 ? 0 : rephraseHits / rephraseTokens,
    localityKl: localityKl / n,
    loss: (editNll + localityKl) / n,
  };
}

/**
 * Train a KnowledgeEditor hypernetwork for `model` on training-split requests (the model's weights change
 * during a step and are restored exactly after it). Each optimizer step accumulates `editsPerStep` edits, each
 * applied alone: the hypernetwork turns the edit's gradient into Δ, the Lagrangian is taken on the edited
 * weights (target NLL of the prompt and a rephrase, λ·KL on unrelated sequences), and its gradient reaches φ
 * through Δ. λ rises while the KL exceeds the margin m (projected to λ ≥ 0); m shrinks by 0.8 after each
 * validation whose edit success exceeds 0.9, down to `marginMin`. The validation edits are never trained on;
 * the hypernetwork with the best validation loss is kept.
 */
export async function trainKe(
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: KeHparams,
  context: KeTrainingContext,
): Promise<KeArtifact> {
  for (const layer of hparams.layers) {
    if (layer >= model.config.numLayers) {
      throw new InvalidHparamsError(
        'layers',
        `layer ${layer} does not exist: the model has ${model.config.numLayers} layers`,
      );
    }
  }
  if (requests.length < 3)
    throw new InvalidRequestError('ke', 'trainingRequests', 'needs at least 3 requests');
  const started = performance.now();
  const { rng, validationPool, trainPool } = splitTrainingPool(
    requests,
    context.seed,
    hparams.validationEdits,
  );
  const validationRng = rng.fork(1);
  const validation = validationPool.map((_, i) =>
    keExample(model, validationPool, i, hparams, validationRng),
  );

  const editor = KeEditor.create(model, hparams, context.seed);
  const names = editor.weights.map((w) => w.location.name);
  const optimizer = new AdamW(
    { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, clipNorm: hparams.clipNorm },
    () => false,
  );
  const parallel =
    hparams.threads > 1
      ? await DataParallelGradients.start<MetaShard>(model, {
          threads: hparams.threads,
          loss: metaLoss,
          lossModule: metaLossModule,
        })
      : undefined;
  // The Lagrange multiplier λ and its RMSprop state (the paper's optimizer for λ).
  let multiplier = 1;
  let multiplierSquare = 0;
  let margin = hparams.marginMax;

  // The objective's gradient at the edited weights and the constraint's value C_KL (for λ's update).
  const weightGradients = async (
    shard: MetaShard,
  ): Promise<{ gradients: Map<string, Tensor>; kl: number }> => {
    if (parallel !== undefined) {
      const shards = contiguousShards(shard.items, parallel.threads).map((items) => ({ ...shard, items }));
      const { gradients } = await parallel.gradients(shards);
      const out = new Map<string, Tensor>();
      for (const [name, g] of Object.entries(gradients)) {
        if (names.includes(name)) out.set(name, g);
        else g.dispose();
      }
      const terms = metaLossTerms(model, shard);
      const kl = terms.locality.dataSync()[0]!;
      tf.dispose([terms.edit, terms.locality]);
      return { gradients: out, kl };
    }
    let locality: Tensor | undefined;
    const { value, grads } = tf.variableGrads(
      () => {
        const terms = metaLossTerms(model, shard);
        locality = tf.keep(terms.locality);
        return tf.add(terms.edit, tf.mul(terms.locality, shard.localityCoefficient)) as never;
      },
      names.map((n) => model.weight(n)),
    );
    const kl = locality!.dataSync()[0]!;
    tf.dispose([value, locality!]);
    return { gradients: new Map(names.map((n) => [n, grads[model.weight(n).name]!])), kl };
  };

  try {
    const validationBefore = validateKeEditor(model, editor, validation);
    let best = {
      loss: validationBefore.loss,
      step: 0,
      tensors: editor.toHost(),
      validation: validationBefore,
    };
    let step = 0;
    for (step = 1; step <= hparams.steps; step++) {
      context.signal?.throwIfAborted();
      const trainables = editor.trainables();
      const accumulated = new Map<string, Tensor>();
      let kl = 0;
      for (let e = 0; e < hparams.editsPerStep; e++) {
        const example = keExample(model, trainPool, rng.int(trainPool.length), hparams, rng);
        const shard: MetaShard = {
          items: example.items,
          editCoefficient: 1,
          localityCoefficient: multiplier,
        };
        const editGradient = exampleGradients(model, editor, example);
        const deltas = editor.deltas([example.condition], editGradient);
        const snapshot = applyDeltas(model, deltas);
        let gradients: Map<string, Tensor>;
        try {
          const measured = await weightGradients(shard);
          gradients = measured.gradients;
          kl += measured.kl / hparams.editsPerStep;
        } finally {
          snapshot.restore();
          snapshot.dispose();
          tf.dispose([...deltas.values()]);
        }
        const grads = gradientsThroughDeltas(
          trainables,
          () => editor.deltas([example.condition], editGradient),
          gradients,
        );
        tf.dispose([...gradients.values(), ...editGradient.values()]);
        for (const name of trainables.keys()) {
          const scaled = tf.div(grads[name]!, hparams.editsPerStep);
          const previous = accumulated.get(name);
          accumulated.set(name, previous === undefined ? scaled : tf.add(previous, scaled));
          if (previous !== undefined) tf.dispose([previous, scaled]);
        }
        tf.dispose(Object.values(grads));
      }
      optimizer.apply(trainables, Object.fromEntries(accumulated), hparams.learningRate);
      tf.dispose([...accumulated.values()]);
      // Gradient ascent on λ (dL/dλ = C_KL − m), RMSprop-normalised as the paper's optimizer, kept ≥ 0.
      const ascent = kl - margin;
      multiplierSquare = 0.99 * multiplierSquare + 0.01 * ascent * ascent;
      multiplier = Math.max(
        0,
        multiplier + (hparams.multiplierLearningRate * ascent) / (Math.sqrt(multiplierSquare) + 1e-8),
      );
      if (step % hparams.validateEvery === 0 || step === hparams.steps) {
        const now = validateKeEditor(model, editor, validation);
        if ((now.editAccuracy + now.rephraseAccuracy) / 2 > 0.9)
          margin = Math.max(margin * 0.8, hparams.marginMin);
        if (now.loss < best.loss) best = { loss: now.loss, step, tensors: editor.toHost(), validation: now };
        if (step - best.step >= hparams.patience) break;
      }
      context.onProgress?.({ stage: 'meta-train', fraction: step / hparams.steps });
    }
    editor.dispose();
    const kept = KeEditor.fromHost(model, hparams, best.tensors);
    if (typeof kept === 'string') throw new Error(`KE: the kept hypernetwork does not fit: ${kept}`);
    return keArtifact(
      {
        format: KE_ARTIFACT_FORMAT,
        version: KE_ARTIFACT_VERSION,
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
          multiplier,
          margin,
        },
      },
      kept,
    );
  } catch (error) {
    editor.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    await parallel?.close();
  }
}
