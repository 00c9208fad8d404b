import type { Tensor1D, Tensor2D } from '@llmedit/core';

/** How a weight is initialised in a freshly created (random) model. */
export type WeightInit = { kind: 'normal'; std: number } | { kind: 'ones' } | { kind: 'zeros' };

export interface WeightSpec {
  /** Hugging Face name, e.g. `transformer.h.0.mlp.c_proj.weight`. */
  name: string;
  shape: number[];
  init: WeightInit;
}

/** Reads a live weight by its Hugging Face name. */
export type WeightGetter = (name: string) => Tensor2D | Tensor1D;

/**
 * The architecture-specific pieces of a pre-norm decoder block; the shared transformer loop, attention,
 * hooks and caching live in causal-lm.ts. Every activation is a 2-D [tokens, width] tensor so that each
 * projection is one matmul (perf.md section 8).
 */
export interface ArchitectureOps {
  /** Token (and, for GPT-2, learned position) embeddings of flat ids. */
  embed(ids: Tensor1D, positions: Tensor1D): Tensor2D;
  preAttentionNorm(layer: number, x: Tensor2D): Tensor2D;
  /** Query, key and value projections, [tokens, heads * headDim] / [tokens, kvHeads * headDim]. */
  queryKeyValue(layer: number, h: Tensor2D): { q: Tensor2D; k: Tensor2D; v: Tensor2D };
  /** Rotary position embedding of queries/keys (LLaMA); GPT-2 returns them unchanged. */
  rotate(q: Tensor2D, k: Tensor2D, positions: Tensor1D): { q: Tensor2D; k: Tensor2D };
  attentionOutput(layer: number, o: Tensor2D): Tensor2D;
  preMlpNorm(layer: number, x: Tensor2D): Tensor2D;
  /**
   * The MLP pre-activation: the input of the activation function (GPT-2 `c_fc`'s output, LLaMA
   * `gate_proj`'s output), where EasyEdit's Knowledge Neurons hook.
   */
  mlpPreActivation(layer: number, h: Tensor2D): Tensor2D;
  /** The MLP key from the pre-activation (and, for LLaMA's gated MLP, the normed input): ROME's k. */
  mlpKey(layer: number, pre: Tensor2D, h: Tensor2D): Tensor2D;
  mlpOutput(layer: number, key: Tensor2D): Tensor2D;
  finalNorm(x: Tensor2D): Tensor2D;
  /** Name of the weight used as LM head, stored [vocab, hidden]. */
  readonly headWeightName: string;
}
