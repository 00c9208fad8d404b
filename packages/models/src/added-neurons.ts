// Widening an FFN by k key/value neurons: FFN(h) = W_out act(W_in h) + V^T act(K h + b), the same as
// concatenating K to W_in and V to W_out (Transformer-Patcher, Huang et al. 2023, eq. 3-4).
import {
  InvalidRequestError,
  ShapeMismatchError,
  type Tensor1D,
  type Tensor2D,
  tf,
  type Variable,
} from '@llmedit/core';
import { geluTanh } from './architectures/gpt2.js';
import type { ModelConfig } from './config.js';
import type { HookPoint } from './layout.js';

/**
 * The weights of k neurons added to one FFN, neuron-major on both architectures (row i is neuron i).
 * GPT-2: a = gelu(h K^T + b); LLaMA: a = silu(h K^T + b) * (h U^T) (K are gate rows, U up rows). The
 * block adds a V to the FFN output. `h` is the FFN input (after the pre-MLP norm).
 */
export interface AddedNeuronsInit {
  /** Input weights [k, hidden]: GPT-2 `c_fc` columns, LLaMA `gate_proj` rows. */
  readonly keys: Tensor2D;
  /**
   * Pre-activation bias [k] (default zeros). GPT-2 has one (`c_fc.bias`); LLaMA's FFN has none, and this
   * bias is added to the gate pre-activation, an extension that Transformer-Patcher's threshold needs.
   */
  readonly bias?: Tensor1D;
  /** LLaMA only (and required there): up-projection rows [k, hidden]. */
  readonly up?: Tensor2D;
  /** Output weights [k, hidden]: GPT-2 `c_proj` rows, LLaMA `down_proj` columns. */
  readonly values: Tensor2D;
}

/**
 * Neurons added to one FFN by `CausalLM.addNeurons`. Their weights are trainable tf variables owned by the
 * model until `CausalLM.removeNeurons` frees them; they are not named weights (`weightNames()` and weight
 * snapshots cover the original checkpoint only), so removing a block is how an edit that added it reverts.
 */
export class AddedNeurons {
  readonly keys: Variable;
  readonly bias: Variable;
  readonly up: Variable | undefined;
  readonly values: Variable;
  /**
   * Hook point of this block's activations [batch, tokens, count]: capture them, or replace them to ablate
   * the block. It fires in every forward of the model, after `mlpKey.<layer>` and before `mlpOut.<layer>`.
   */
  readonly point: HookPoint;
  private alive = true;

  /** @internal Created by `CausalLM.addNeurons`. */
  constructor(
    readonly id: number,
    readonly layer: number,
    readonly count: number,
    private readonly architecture: ModelConfig['architecture'],
    weights: { keys: Tensor2D; bias: Tensor1D; up: Tensor2D | undefined; values: Tensor2D },
  ) {
    this.keys = tf.variable(weights.keys, true);
    this.bias = tf.variable(weights.bias, true);
    this.up = weights.up === undefined ? undefined : tf.variable(weights.up, true);
    this.values = tf.variable(weights.values, true);
    // The variables share the copies' data; drop the extra handles.
    tf.dispose([
      weights.keys,
      weights.bias,
      weights.values,
      ...(weights.up === undefined ? [] : [weights.up]),
    ]);
    this.point = { location: 'mlpKey', layer, key: `mlpKey.${layer}.added.${id}`, width: count };
  }

  /** False once removed from the model (its variables are freed). */
  get attached(): boolean {
    return this.alive;
  }

  /** The trainable variables (keys, bias, [up,] values), e.g. for `optimizer.minimize(f, false, list)`. */
  variables(): Variable[] {
    return this.up === undefined
      ? [this.keys, this.bias, this.values]
      : [this.keys, this.bias, this.up, this.values];
  }

  /** Activations [tokens, count] of the FFN input h [tokens, hidden], with the architecture's activation. */
  activation(h: Tensor2D): Tensor2D {
    return tf.tidy(() => {
      const pre = tf.add(tf.matMul(h, this.keys, false, true), this.bias) as Tensor2D;
      if (this.architecture === 'gpt2') return geluTanh(pre);
      const up = this.up as Variable;
      return tf.mul(tf.mul(pre, tf.sigmoid(pre)), tf.matMul(h, up, false, true)) as Tensor2D;
    });
  }

  /** The block's contribution to the FFN output: activation [tokens, count] @ values -> [tokens, hidden]. */
  output(activation: Tensor2D): Tensor2D {
    return tf.matMul(activation, this.values);
  }

  /** @internal */
  free(): void {
    if (!this.alive) return;
    this.alive = false;
    for (const variable of this.variables()) variable.dispose();
  }
}

/** Check an `AddedNeuronsInit` against the model and copy it (the caller keeps its tensors). */
export function checkAddedNeurons(
  config: ModelConfig,
  layer: number,
  init: AddedNeuronsInit,
): { count: number; keys: Tensor2D; bias: Tensor1D; up: Tensor2D | undefined; values: Tensor2D } {
  const where = `addNeurons(layer ${layer})`;
  if (!Number.isInteger(layer) || layer < 0 || layer >= config.numLayers) {
    throw new InvalidRequestError(where, 'layer', `must be an integer in [0, ${config.numLayers - 1}]`);
  }
  const d = config.hiddenSize;
  const keys = init.keys;
  if (keys.rank !== 2 || keys.shape[1] !== d || keys.shape[0] < 1) {
    throw new ShapeMismatchError(`${where}: keys`, [-1, d], keys.shape);
  }
  const count = keys.shape[0];
  const expect = (name: string, tensor: { shape: number[] }, shape: number[]) => {
    if (!tf.util.arraysEqual(tensor.shape, shape))
      throw new ShapeMismatchError(`${where}: ${name}`, shape, tensor.shape);
  };
  expect('values', init.values, [count, d]);
  if (init.bias !== undefined) expect('bias', init.bias, [count]);
  if (config.architecture === 'llama') {
    if (init.up === undefined) {
      throw new InvalidRequestError(where, 'up', 'is required for a LLaMA FFN (SwiGLU has gate and up rows)');
    }
    expect('up', init.up, [count, d]);
  } else if (init.up !== undefined) {
    throw new InvalidRequestError(
      where,
      'up',
      'applies to LLaMA only (GPT-2 FFN neurons have one input row)',
    );
  }
  return {
    count,
    keys: tf.clone(keys),
    bias: init.bias === undefined ? tf.zeros([count]) : tf.clone(init.bias),
    up: init.up === undefined ? undefined : tf.clone(init.up),
    values: tf.clone(init.values),
  };
}
