// Operations on knowledge neurons, Dai et al. 2022 sections 4.3 (suppress: activation set to 0; amplify:
// activation doubled) and 5 (updating facts: the neuron's FFN value slot moves from the old answer's word
// embedding to the new one's; erasing: the value slot set to zero).
import {
  InvalidRequestError,
  LlmeditError,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  tf,
} from '@llmedit/core';
import { type CausalLM, encodeTargetPair, type Hook } from '@llmedit/models';
import type { Neuron } from './neurons.js';

function byLayer(model: CausalLM, neurons: readonly Neuron[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  neurons.forEach((n, i) => {
    if (!Number.isInteger(n.layer) || n.layer < 0 || n.layer >= model.config.numLayers) {
      throw new InvalidRequestError(
        `neurons[${i}]`,
        'layer',
        `${n.layer} is out of range [0, ${model.config.numLayers - 1}]`,
      );
    }
    if (!Number.isInteger(n.index) || n.index < 0 || n.index >= model.layout.mlpKeySize) {
      throw new InvalidRequestError(
        `neurons[${i}]`,
        'index',
        `${n.index} is out of range [0, ${model.layout.mlpKeySize - 1}]`,
      );
    }
    const list = out.get(n.layer) ?? [];
    if (!list.includes(n.index)) list.push(n.index);
    out.set(n.layer, list);
  });
  return out;
}

/**
 * Activation hooks that multiply the chosen neurons' FFN activations by `factor` at every position
 * (2: Dai et al.'s amplification, 0: their suppression); pass them to `model.forward({ hooks })`.
 * Nothing in the model changes.
 */
export function neuronHooks(model: CausalLM, neurons: readonly Neuron[], factor: number): Hook[] {
  if (!Number.isFinite(factor))
    throw new InvalidRequestError('neuron hooks', 'factor', `must be finite, got ${factor}`);
  const width = model.layout.mlpKeySize;
  return [...byLayer(model, neurons)].map(([layer, indices]) => {
    const scale = new Float32Array(width).fill(1);
    for (const i of indices) scale[i] = factor;
    return {
      point: model.layout.mlpKey(layer),
      // The scale is built inside the forward's tidy scope, so the hook owns no tensor.
      replace: (x: Tensor3D) => tf.mul(x, tf.tensor3d(scale, [1, 1, width])) as Tensor3D,
    };
  });
}

/** Dai et al.'s amplification: the neurons' activations doubled (or times `factor`). */
export function amplifyNeurons(model: CausalLM, neurons: readonly Neuron[], factor = 2): Hook[] {
  return neuronHooks(model, neurons, factor);
}

/** Dai et al.'s suppression: the neurons' activations set to zero. */
export function suppressNeurons(model: CausalLM, neurons: readonly Neuron[]): Hook[] {
  return neuronHooks(model, neurons, 0);
}

/** A weight change on neurons' value slots: the deltas, and an exact undo. */
export interface NeuronPatch {
  /** Weight name -> the change added to it. */
  readonly deltas: ReadonlyMap<string, Tensor>;
  /** Put the weights back bit for bit. Safe to call more than once, not after dispose(). */
  restore(): void;
  /** Free the deltas and saved originals (the change itself stays). */
  dispose(): void;
}

/**
 * Replace the MLP output projection of each touched layer by f(W, selected-neuron mask) and return the patch.
 * The mask is 1 on the neurons' value slots (rows of GPT-2's [in, out] Conv1D weight, columns of LLaMA's
 * [out, in] Linear weight).
 */
function patchValueSlots(
  model: CausalLM,
  neurons: readonly Neuron[],
  update: (weight: Tensor2D, slots: Tensor2D, orientation: 'in-out' | 'out-in') => Tensor2D,
): NeuronPatch {
  const groups = byLayer(model, neurons);
  const width = model.layout.mlpKeySize;
  const originals = new Map<string, Tensor>();
  const deltas = new Map<string, Tensor>();
  const putBack = () => {
    for (const [name, original] of originals) model.setWeight(name, original);
  };
  try {
    for (const [layer, indices] of groups) {
      const { name, orientation } = model.layout.mlpOutProjection(layer);
      const weight = model.weight(name) as Tensor2D;
      const original = tf.clone(weight);
      originals.set(name, original);
      const marks = new Float32Array(width);
      for (const i of indices) marks[i] = 1;
      const next = tf.tidy(() => {
        const slots =
          orientation === 'in-out' ? tf.tensor2d(marks, [width, 1]) : tf.tensor2d(marks, [1, width]);
        return update(original as Tensor2D, slots, orientation);
      });
      model.setWeight(name, next);
      deltas.set(name, tf.sub(next, original));
      next.dispose();
    }
  } catch (error) {
    putBack();
    for (const t of [...originals.values(), ...deltas.values()]) t.dispose();
    throw error;
  }
  let disposed = false;
  return {
    deltas,
    restore() {
      if (disposed) throw new LlmeditError('EDIT_DISPOSED', 'neuron patch restore() after dispose()');
      putBack();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of [...originals.values(), ...deltas.values()]) t.dispose();
      deltas.clear();
    },
  };
}

/**
 * Erase the neurons (Dai et al. section 5.2): their value slots in the MLP output projection set to zero,
 * so they write nothing into the residual stream wherever they fire.
 */
export function eraseNeurons(model: CausalLM, neurons: readonly Neuron[]): NeuronPatch {
  // W * (1 - mask) is exactly W off the slots and exactly zero on them.
  return patchValueSlots(model, neurons, (weight, slots) => tf.mul(weight, tf.sub(1, slots)) as Tensor2D);
}

/** Hugging Face name of the token embedding matrix. */
export function tokenEmbeddingName(model: CausalLM): string {
  return model.config.architecture === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
}

/** Sum of the token embeddings of `ids` ([hidden]). */
function embeddingSum(model: CausalLM, ids: readonly number[]): Tensor {
  return tf.tidy(() =>
    tf.sum(
      tf.gather(
        model.weight(tokenEmbeddingName(model)) as Tensor2D,
        tf.tensor1d(Int32Array.from(ids), 'int32'),
      ),
      0,
    ),
  );
}

export interface RewriteOptions {
  /** Token ids whose embeddings are removed (the original greedy prediction). */
  fromIds: readonly number[];
  /** Token ids whose summed embedding is added (the new target). */
  toIds: readonly number[];
  /** Multiple of the whole move. */
  scale: number;
  /** Extra multiple of the removed embeddings (default 1; EasyEdit's single-token rule: 2). */
  fromScale?: number;
}

/**
 * The KN edit's weight change: each neuron's value slot gets
 * scale * (sum of E[toIds] - fromScale * sum of E[fromIds]), E the token embedding matrix.
 */
export function rewriteNeurons(
  model: CausalLM,
  neurons: readonly Neuron[],
  options: RewriteOptions,
): NeuronPatch {
  if (options.fromIds.length === 0 || options.toIds.length === 0) {
    throw new InvalidRequestError(
      'neuron rewrite',
      options.fromIds.length === 0 ? 'fromIds' : 'toIds',
      'must not be empty',
    );
  }
  const hidden = model.config.hiddenSize;
  const direction = tf.tidy(() => {
    const to = embeddingSum(model, options.toIds);
    const from = embeddingSum(model, options.fromIds);
    return tf.mul(tf.sub(to, tf.mul(from, options.fromScale ?? 1)), options.scale);
  });
  try {
    return patchValueSlots(model, neurons, (weight, slots, orientation) => {
      const change =
        orientation === 'in-out'
          ? tf.matMul(slots, tf.reshape(direction, [1, hidden]) as Tensor2D)
          : tf.matMul(tf.reshape(direction, [hidden, 1]) as Tensor2D, slots);
      return tf.add(weight, change) as Tensor2D;
    });
  } finally {
    direction.dispose();
  }
}

/** P(first token of `target` | prompt), optionally with activation hooks (to measure amplify / suppress). */
export function targetProbability(
  model: CausalLM,
  prompt: string,
  target: string,
  hooks: readonly Hook[] = [],
): number {
  const { promptIds, targetIds } = encodeTargetPair(model, prompt, target);
  const answer = targetIds[0];
  if (answer === undefined)
    throw new InvalidRequestError('target probability', 'target', 'encodes to no tokens');
  const { logits } = model.forward(
    { ids: [promptIds], attentionMask: [promptIds.map(() => 1)] },
    { logits: 'last', hooks },
  );
  const p = tf.tidy(() => tf.softmax(logits as Tensor2D).slice([0, answer], [1, 1]));
  logits?.dispose();
  const value = p.dataSync()[0] as number;
  p.dispose();
  return value;
}
