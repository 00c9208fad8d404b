import {
  type EditableModel,
  InvalidRequestError,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  tf,
  type Variable,
  type WeightSnapshot,
} from '@llmedit/core';
import { AddedNeurons, type AddedNeuronsInit, checkAddedNeurons } from './added-neurons.js';
import { gpt2Ops } from './architectures/gpt2.js';
import { llamaOps } from './architectures/llama.js';
import type { ArchitectureOps } from './architectures/types.js';
import { attentionBias, checkBatch, positionIds, type TokenBatch } from './attention-mask.js';
import type { ModelConfig } from './config.js';
import { createLayout, type HookPoint, type ModelLayout } from './layout.js';
import type { Tokenizer } from './tokenizer/index.js';
import { type HostTensor, WeightStore } from './weights.js';

/** Read and/or replace the activation at one hook point. */
export interface Hook {
  point: HookPoint;
  /** Return the activation in `ForwardResult.captured[point.key]`. */
  capture?: boolean;
  /**
   * Replace the activation [batch, tokens, width]. Runs inside the forward's tidy scope: tensors it creates
   * are freed with it; tensors it closes over are not touched. Must be differentiable for gradient use.
   */
  replace?: (activation: Tensor3D) => Tensor3D;
}

/** Which logits the forward computes: the LM head is the costliest matmul, so compute only what is read. */
export type LogitsSelection =
  | 'all'
  | 'last'
  | 'none'
  /** Explicit (row, token) pairs; the logits come back as [pairs, vocab] in this order. */
  | { positions: readonly (readonly [number, number])[] };

export interface ForwardOptions {
  hooks?: readonly Hook[];
  logits?: LogitsSelection;
  /** Stop after this block (hooks beyond it never fire; no logits). Saves work for methods that edit low layers. */
  stopAfterLayer?: number;
  /**
   * Resume a forward pass at block `layer` with `hidden` [batch, tokens, hiddenSize] as that block's input
   * (the residual stream after block `layer - 1`, e.g. a captured `residual(layer - 1)`); `layer` may be
   * `numLayers` (only the final norm and head run). The batch still gives the mask and positions. Blocks
   * below `layer` and their hooks are skipped, so methods that optimise a vector inserted at one layer run
   * the frozen prefix once. Differentiable w.r.t. `hidden`. With a `cache`, only with `readOnlyCache`.
   */
  startAtLayer?: { layer: number; hidden: Tensor3D };
  cache?: KvCache;
  /**
   * Attend to the cache's past keys and values but leave the cache unchanged (default false: the new
   * tokens are appended). Lets a method that re-runs the same continuation many times (an optimisation
   * loop over a frozen prefix) keep one cache of the prefix.
   */
  readOnlyCache?: boolean;
}

export interface ForwardResult {
  /** [batch, tokens, vocab] for 'all', [batch, vocab] for 'last', [pairs, vocab] for positions. */
  logits: Tensor | undefined;
  captured: Record<string, Tensor3D>;
}

/**
 * Past keys and values for incremental decoding. Owned by the caller: `dispose()` it when done.
 * Each forward that receives it appends the new tokens.
 */
export class KvCache {
  keys: Tensor[] = [];
  values: Tensor[] = [];
  mask: number[][] = [];

  get length(): number {
    return this.mask[0]?.length ?? 0;
  }

  realTokens(): number[] {
    return this.mask.map((row) => row.reduce((sum, m) => sum + m, 0));
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys = [];
    this.values = [];
    this.mask = [];
  }
}

/**
 * A causal language model (GPT-2 or LLaMA architecture) with named weights, typed hook points, batched
 * masked forward passes and a KV cache. Weights are tf variables under their Hugging Face names.
 */
export class CausalLM implements EditableModel {
  readonly layout: ModelLayout;
  private readonly store: WeightStore;
  private readonly ops: ArchitectureOps;
  /** Neurons added to each layer's FFN, in the order they were added. */
  private readonly added = new Map<number, AddedNeurons[]>();
  private nextAddedId = 0;

  constructor(
    readonly config: ModelConfig,
    weights: Iterable<[string, HostTensor]>,
    readonly tokenizer: Tokenizer | undefined,
    readonly modelId: string,
  ) {
    this.layout = createLayout(config);
    this.store = new WeightStore(weights);
    const get = (name: string) => this.store.get(name) as never;
    this.ops = config.architecture === 'gpt2' ? gpt2Ops(config, get) : llamaOps(config, get);
  }

  weightNames(): readonly string[] {
    return this.store.names();
  }

  weight(name: string): Variable {
    return this.store.get(name);
  }

  setWeight(name: string, value: Tensor): void {
    this.store.set(name, value);
  }

  snapshotWeights(names?: readonly string[]): WeightSnapshot {
    return this.store.snapshot(names);
  }

  /** Every weight copied to host memory (for saving or hashing). */
  weightsToHost(): Promise<Map<string, HostTensor>> {
    return this.store.toHost();
  }

  /**
   * Widen the FFN of `layer` by k neurons (k = rows of `init.keys`) on top of the original weights, with the
   * architecture's activation (see `AddedNeuronsInit`). The tensors of `init` are copied. Zero values leave
   * every output unchanged. Undo with `removeNeurons`; the original weights are never touched.
   */
  addNeurons(layer: number, init: AddedNeuronsInit): AddedNeurons {
    const checked = checkAddedNeurons(this.config, layer, init);
    const block = new AddedNeurons(
      this.nextAddedId++,
      layer,
      checked.count,
      this.config.architecture,
      checked,
    );
    const list = this.added.get(layer) ?? [];
    list.push(block);
    this.added.set(layer, list);
    return block;
  }

  /** Remove exactly the neurons `block` added and free them. Safe to call more than once. */
  removeNeurons(block: AddedNeurons): void {
    const list = this.added.get(block.layer);
    const index = list?.indexOf(block) ?? -1;
    if (index < 0) {
      if (!block.attached) return;
      throw new InvalidRequestError('removeNeurons', 'block', `was not added to this model (id ${block.id})`);
    }
    list!.splice(index, 1);
    if (list!.length === 0) this.added.delete(block.layer);
    block.free();
  }

  /** The neuron blocks added to `layer` (every layer when omitted), oldest first. */
  addedNeurons(layer?: number): readonly AddedNeurons[] {
    if (layer !== undefined) return [...(this.added.get(layer) ?? [])];
    return [...this.added.keys()].sort((a, b) => a - b).flatMap((l) => this.added.get(l) ?? []);
  }

  /** Width of the FFN of `layer`: the original neurons plus every added one. */
  mlpWidth(layer: number): number {
    const extra = (this.added.get(layer) ?? []).reduce((sum, block) => sum + block.count, 0);
    return this.config.intermediateSize + extra;
  }

  /** Token id used for padding: the tokenizer's pad, else EOS, else 0 (pads are masked, so any id works). */
  get padTokenId(): number {
    return this.tokenizer?.padTokenId ?? this.tokenizer?.eosTokenId ?? this.config.eosTokenId ?? 0;
  }

  requireTokenizer(): Tokenizer {
    if (this.tokenizer === undefined) {
      throw new InvalidRequestError(
        'model',
        'tokenizer',
        'is missing: load the model with a tokenizer to use text',
      );
    }
    return this.tokenizer;
  }

  /**
   * Run the model. Returned tensors belong to the caller. Every intermediate is freed, so
   * `tf.memory().numTensors` grows only by the returned tensors (and the cache's new entries).
   */
  forward(batch: TokenBatch, options: ForwardOptions = {}): ForwardResult {
    const { batchSize, length } = checkBatch(batch);
    const { cache } = options;
    const pastLength = cache?.length ?? 0;
    if (cache !== undefined && pastLength > 0 && cache.mask.length !== batchSize) {
      throw new InvalidRequestError(
        'forward',
        'cache',
        `holds ${cache.mask.length} rows, batch has ${batchSize}`,
      );
    }
    const positions = positionIds(batch.attentionMask, cache?.realTokens());
    const maxPosition = positions.reduce((m, p) => Math.max(m, p), 0);
    if (maxPosition >= this.config.maxPositions) {
      throw new InvalidRequestError(
        'forward',
        'ids',
        `need position ${maxPosition}, the model has ${this.config.maxPositions}`,
      );
    }
    const start = options.startAtLayer;
    const readOnly = options.readOnlyCache === true;
    if (start !== undefined) this.checkStart(start, batchSize, length, cache, readOnly);
    const keyMask = batch.attentionMask.map((row, b) => [...(cache?.mask[b] ?? []), ...row]);
    const hooksByKey = new Map<string, Hook[]>();
    for (const hook of options.hooks ?? []) {
      const list = hooksByKey.get(hook.point.key) ?? [];
      list.push(hook);
      hooksByKey.set(hook.point.key, list);
    }
    const lastLayer = options.stopAfterLayer ?? this.config.numLayers - 1;
    const selection = options.stopAfterLayer === undefined ? (options.logits ?? 'all') : 'none';
    const newKeys: Tensor[] = [];
    const newValues: Tensor[] = [];

    const result = tf.tidy(() => {
      const captured: Record<string, Tensor3D> = {};
      const applyHooks = (key: string, x: Tensor2D): Tensor2D => {
        const hooks = hooksByKey.get(key);
        if (hooks === undefined) return x;
        let x3 = tf.reshape(x, [batchSize, length, x.shape[1]]) as Tensor3D;
        for (const hook of hooks) {
          if (hook.replace !== undefined) {
            const replaced = hook.replace(x3);
            if (!tf.util.arraysEqual(replaced.shape, x3.shape)) {
              throw new InvalidRequestError(
                `hook ${key}`,
                'replace',
                `returned shape [${replaced.shape}], expected [${x3.shape}]`,
              );
            }
            x3 = replaced;
          }
          if (hook.capture === true) captured[key] = x3;
        }
        return tf.reshape(x3, [batchSize * length, x.shape[1]]) as Tensor2D;
      };

      const ids = tf.tensor1d(Int32Array.from(batch.ids.flat()), 'int32');
      const positionTensor = tf.tensor1d(positions, 'int32');
      const bias = tf.tensor4d(attentionBias(keyMask, length), [batchSize, 1, length, pastLength + length]);
      let x =
        start === undefined
          ? applyHooks('embed', this.ops.embed(ids, positionTensor))
          : (tf.reshape(start.hidden, [batchSize * length, this.config.hiddenSize]) as Tensor2D);
      for (let l = start?.layer ?? 0; l <= lastLayer; l++) {
        const h = this.ops.preAttentionNorm(l, x);
        const projected = this.ops.queryKeyValue(l, h);
        const { q, k } = this.ops.rotate(projected.q, projected.k, positionTensor);
        const attended = this.attention(
          q,
          k,
          projected.v,
          batchSize,
          length,
          bias,
          l,
          cache,
          newKeys,
          newValues,
        );
        const attnOut = applyHooks(`attnOut.${l}`, this.ops.attentionOutput(l, attended));
        x = tf.add(x, attnOut);
        const mlpIn = applyHooks(`mlpIn.${l}`, this.ops.preMlpNorm(l, x));
        const pre = applyHooks(`mlpPre.${l}`, this.ops.mlpPreActivation(l, mlpIn));
        const key = applyHooks(`mlpKey.${l}`, this.ops.mlpKey(l, pre, mlpIn));
        let mlpOutput = this.ops.mlpOutput(l, key);
        for (const block of this.added.get(l) ?? []) {
          const activation = applyHooks(block.point.key, block.activation(mlpIn));
          mlpOutput = tf.add(mlpOutput, block.output(activation));
        }
        const mlpOut = applyHooks(`mlpOut.${l}`, mlpOutput);
        x = applyHooks(`residual.${l}`, tf.add(x, mlpOut));
      }
      const logits =
        selection === 'none' ? undefined : this.logitsFor(x, batch, selection, batchSize, length);
      return { logits, captured, newKeys, newValues };
    });

    if (readOnly) {
      tf.dispose([...result.newKeys, ...result.newValues]);
    } else if (cache !== undefined) {
      // Kept by tidy through the returned arrays; now owned by the cache.
      for (const t of [...cache.keys, ...cache.values]) t.dispose();
      cache.keys = result.newKeys;
      cache.values = result.newValues;
      cache.mask = keyMask;
    }
    return { logits: result.logits, captured: result.captured };
  }

  private checkStart(
    start: { layer: number; hidden: Tensor3D },
    batchSize: number,
    length: number,
    cache: KvCache | undefined,
    readOnly: boolean,
  ): void {
    const { layer, hidden } = start;
    if (!Number.isInteger(layer) || layer < 0 || layer > this.config.numLayers) {
      throw new InvalidRequestError(
        'forward',
        'startAtLayer.layer',
        `${layer} is outside [0, ${this.config.numLayers}]`,
      );
    }
    const expected = [batchSize, length, this.config.hiddenSize];
    if (!tf.util.arraysEqual(hidden.shape, expected)) {
      throw new InvalidRequestError(
        'forward',
        'startAtLayer.hidden',
        `has shape [${hidden.shape}], expected [${expected}]`,
      );
    }
    if (cache !== undefined && !readOnly) {
      throw new InvalidRequestError(
        'forward',
        'startAtLayer',
        'can only be combined with a KV cache that is read-only (readOnlyCache: true)',
      );
    }
  }

  /** The LM head over final-normed hidden states [n, hidden] -> logits [n, vocab]. */
  head(hidden: Tensor2D): Tensor2D {
    return tf.matMul(hidden, this.store.get(this.ops.headWeightName) as Tensor2D, false, true);
  }

  private logitsFor(
    x: Tensor2D,
    batch: TokenBatch,
    selection: Exclude<LogitsSelection, 'none'>,
    batchSize: number,
    length: number,
  ): Tensor {
    if (selection === 'all') {
      return tf.reshape(this.head(this.ops.finalNorm(x)), [batchSize, length, this.config.vocabSize]);
    }
    let rows: number[];
    if (selection === 'last') {
      rows = batch.attentionMask.map((mask, b) => {
        const last = mask.lastIndexOf(1);
        return b * length + (last < 0 ? length - 1 : last);
      });
    } else {
      rows = selection.positions.map(([b, t]) => {
        if (b < 0 || b >= batchSize || t < 0 || t >= length) {
          throw new InvalidRequestError(
            'forward',
            'logits.positions',
            `(${b}, ${t}) is outside [${batchSize}, ${length}]`,
          );
        }
        return b * length + t;
      });
    }
    const picked = tf.gather(x, tf.tensor1d(Int32Array.from(rows), 'int32'));
    return this.head(this.ops.finalNorm(picked));
  }

  /** Scaled dot-product attention with grouped KV heads; q [n, H*hd], k/v [n, KV*hd] with n = batch*length. */
  private attention(
    q: Tensor2D,
    k: Tensor2D,
    v: Tensor2D,
    batchSize: number,
    length: number,
    bias: Tensor,
    layer: number,
    cache: KvCache | undefined,
    newKeys: Tensor[],
    newValues: Tensor[],
  ): Tensor2D {
    const { numHeads } = this.config;
    const kvHeads = this.config.architecture === 'llama' ? this.config.numKeyValueHeads : numHeads;
    const headDim =
      this.config.architecture === 'llama' ? this.config.headDim : this.config.hiddenSize / numHeads;
    const toHeads = (t: Tensor2D, heads: number) =>
      tf.transpose(tf.reshape(t, [batchSize, length, heads, headDim]), [0, 2, 1, 3]);
    const queries = toHeads(q, numHeads);
    let keys = toHeads(k, kvHeads);
    let values = toHeads(v, kvHeads);
    if (cache !== undefined) {
      const pastKeys = cache.keys[layer];
      const pastValues = cache.values[layer];
      if (pastKeys !== undefined && pastValues !== undefined) {
        keys = tf.concat([pastKeys, keys], 2);
        values = tf.concat([pastValues, values], 2);
      }
      newKeys.push(keys);
      newValues.push(values);
    }
    if (kvHeads !== numHeads) {
      // Each KV head serves numHeads / kvHeads consecutive query heads.
      const repeat = numHeads / kvHeads;
      const expand = (t: Tensor) => {
        const [, , keyLength] = t.shape as [number, number, number, number];
        return tf.reshape(tf.tile(tf.expandDims(t, 2), [1, 1, repeat, 1, 1]), [
          batchSize,
          numHeads,
          keyLength,
          headDim,
        ]);
      };
      keys = expand(keys);
      values = expand(values);
    }
    const scores = tf.add(tf.mul(tf.matMul(queries, keys, false, true), 1 / Math.sqrt(headDim)), bias);
    const mixed = tf.matMul(tf.softmax(scores), values);
    return tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [
      batchSize * length,
      numHeads * headDim,
    ]) as Tensor2D;
  }

  dispose(): void {
    for (const block of this.addedNeurons()) this.removeNeurons(block);
    this.store.dispose();
  }
}
