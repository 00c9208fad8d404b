// MEND (Mitchell et al. 2022, arXiv:2110.11309) sec. 3.1: a linear layer's gradient is a sum of rank-1 terms,
// ∇_W L = Σ_i δ_{ℓ+1}^i (u_ℓ^i)ᵀ, with u the layer's input and δ the gradient of L w.r.t. its output at token i.
import {
  type EditRequest,
  InvalidRequestError,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  tf,
} from '@llmedit/core';
import { type CausalLM, encodeTargetPair, padBatch, type TokenBatch } from '@llmedit/models';

/** A prompt and the target it should continue with, as token ids (cut to the token budget). */
export interface TargetExample {
  readonly promptIds: readonly number[];
  readonly targetIds: readonly number[];
}

/**
 * Tokenize `prompt + " " + target` as scoring does. Over `maxLength` tokens the prompt loses its first tokens
 * and the target its last (the scored positions are at the end of the prompt).
 */
export function targetExample(
  model: CausalLM,
  prompt: string,
  target: string,
  maxLength: number,
  record = 'request',
  field = 'targetNew',
): TargetExample {
  const pair = encodeTargetPair(model, prompt, target);
  if (pair.promptIds.length === 0) throw new InvalidRequestError(record, 'prompt', 'encodes to no tokens');
  if (pair.targetIds.length === 0) throw new InvalidRequestError(record, field, 'encodes to no tokens');
  const budget = Math.min(maxLength, model.config.maxPositions);
  const targetIds = pair.targetIds.slice(0, Math.max(1, budget - 1));
  return { promptIds: pair.promptIds.slice(-(budget - targetIds.length)), targetIds };
}

/** The edit example of a request: its prompt and `targetNew`. */
export function requestExample(
  model: CausalLM,
  request: EditRequest,
  maxLength: number,
  index = 0,
): TargetExample {
  return targetExample(
    model,
    request.prompt,
    request.targetNew,
    maxLength,
    request.id ?? `requests[${index}]`,
  );
}

/** Teacher-forced batch of examples: each row is prompt + target without its last token (right-padded). */
export interface TargetBatch {
  readonly batch: TokenBatch;
  /** (row, position) whose next-token logits predict a target token, in example order. */
  readonly positions: [number, number][];
  /** Per position: the target token id. */
  readonly labels: number[];
  /** Per position: 1 / |targets of its example|, so that a weighted sum is a per-example mean. */
  readonly weights: number[];
  /** Per position: its example's index. */
  readonly rows: number[];
}

export function targetBatch(model: CausalLM, examples: readonly TargetExample[]): TargetBatch {
  const sequences = examples.map((e) => [...e.promptIds, ...e.targetIds.slice(0, -1)]);
  const batch = padBatch(sequences, model.padTokenId, 'right');
  const positions: [number, number][] = [];
  const labels: number[] = [];
  const weights: number[] = [];
  const rows: number[] = [];
  examples.forEach((example, row) => {
    example.targetIds.forEach((id, k) => {
      positions.push([row, example.promptIds.length - 1 + k]);
      labels.push(id);
      weights.push(1 / example.targetIds.length);
      rows.push(row);
    });
  });
  return { batch, positions, labels, weights, rows };
}

/**
 * Σ over examples of each example's mean target negative log-likelihood (a batch edit's loss: the gradients of
 * its requests add up), differentiable w.r.t. the weights and any hook inputs.
 */
export function summedTargetNll(
  model: CausalLM,
  target: TargetBatch,
  hooks: Parameters<CausalLM['forward']>[1] = {},
): Tensor {
  const vocab = model.config.vocabSize;
  const flat = Int32Array.from(target.labels, (id, i) => i * vocab + id);
  return tf.tidy(() => {
    const { logits } = model.forward(target.batch, { ...hooks, logits: { positions: target.positions } });
    const logProbs = tf.logSoftmax(logits as Tensor2D);
    const picked = tf.gather(tf.reshape(logProbs, [-1]), tf.tensor1d(flat, 'int32'));
    return tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(target.weights))));
  });
}

/** One edited weight's gradient factors over the real tokens of a batch. */
export interface LayerFactors {
  readonly layer: number;
  /** u: the MLP output projection's input (the MLP key) per token, [tokens, mlpKeySize]. */
  readonly x: Tensor2D;
  /** δ: the gradient of the edit loss w.r.t. the projection's output per token, [tokens, hiddenSize]. */
  readonly delta: Tensor2D;
}

/** Frees every factor tensor. */
export function disposeFactors(factors: readonly LayerFactors[]): void {
  for (const f of factors) tf.dispose([f.x, f.delta]);
}

/**
 * The rank-1 factors (u, δ) of the edit loss's gradient at the MLP output projection of each layer, for the
 * real tokens of the examples (padding dropped). The projection's gradient is `xᵀ δ` (in-out storage). The
 * loss is the sum over examples of their mean target NLL, so a batch edit's factors are its requests'
 * factors stacked. δ is read as the gradient of a zero tensor added to the projection's output; the model's
 * weights are not differentiated. The caller owns the returned tensors.
 */
export function editFactors(
  model: CausalLM,
  examples: readonly TargetExample[],
  layers: readonly number[],
): LayerFactors[] {
  const target = targetBatch(model, examples);
  const { batch } = target;
  const width = batch.ids[0]!.length;
  const real: number[] = [];
  batch.attentionMask.forEach((mask, b) => {
    mask.forEach((m, t) => {
      if (m === 1) real.push(b * width + t);
    });
  });
  const keys = layers.map((l) => model.layout.mlpKey(l));
  const outs = layers.map((l) => model.layout.mlpOut(l));
  const captured: Tensor3D[] = [];
  const zeros = outs.map((p) => tf.zeros([batch.ids.length, width, p.width]) as Tensor3D);
  let gradients: Tensor[] = [];
  try {
    gradients = tf.grads((...offsets: Tensor[]) => {
      const hooks = layers.flatMap((_, i) => [
        {
          point: keys[i]!,
          replace: (a: Tensor3D) => {
            // Kept past the gradient's tidy scope: u is an input to the editor, not a differentiated value.
            captured[i] = tf.keep(tf.clone(a));
            return a;
          },
        },
        { point: outs[i]!, replace: (a: Tensor3D) => tf.add(a, offsets[i]!) as Tensor3D },
      ]);
      return summedTargetNll(model, target, { hooks });
    })(zeros);
    return tf.tidy(() => {
      const index = tf.tensor1d(Int32Array.from(real), 'int32');
      const rows = (t: Tensor, size: number) => tf.gather(tf.reshape(t, [-1, size]), index) as Tensor2D;
      return layers.map((layer, i) => ({
        layer,
        x: rows(captured[i]!, keys[i]!.width),
        delta: rows(gradients[i]!, outs[i]!.width),
      }));
    });
  } finally {
    tf.dispose([...zeros, ...captured, ...gradients]);
  }
}
