// The memory set of Transformer-Patcher (Huang et al. 2023, section 3.3): FFN queries of inputs the patch
// must stay silent on, taken from the training split.
import { createRng, type Tensor3D, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { type CausalLM, chunkByTokens, padBatch } from '@llmedit/models';

/** `size` prompts of the ZsRE training split, sampled without replacement with `seed`. */
export function memoryPrompts(size: number, seed: number): string[] {
  const prompts = loadSplit('zsre', 'train').map((request) => request.prompt);
  const rng = createRng(seed);
  const order = prompts.map((_, i) => i);
  const take = Math.min(size, order.length);
  for (let i = 0; i < take; i++) {
    const j = i + rng.int(order.length - i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order.slice(0, take).map((i) => prompts[i] as string);
}

/** Token ids of a prompt as the model reads it (BOS first for LLaMA). */
export function inputIds(model: CausalLM, text: string): number[] {
  const ids = model.requireTokenizer().encode(text);
  const bos = model.tokenizer?.bosTokenId ?? model.config.bosTokenId;
  return model.config.architecture === 'llama' && bos !== undefined ? [bos, ...ids] : ids;
}

/**
 * The FFN input (`mlpIn`) of `layer` at every real token of `prompts`, as host rows [rows, hidden]. The
 * patches sit inside that FFN, after its input, so these queries do not change as patches are added.
 */
export function computeQueries(model: CausalLM, layer: number, prompts: readonly string[]): Float32Array {
  const d = model.config.hiddenSize;
  const sequences = prompts.map((p) => inputIds(model, p)).filter((ids) => ids.length > 0);
  const rows: Float32Array[] = [];
  const point = model.layout.mlpIn(layer);
  for (const chunk of chunkByTokens(
    sequences.map((s) => s.length),
    4096,
  )) {
    const batch = padBatch(
      chunk.map((i) => sequences[i] as number[]),
      model.padTokenId,
    );
    const { captured } = model.forward(batch, {
      hooks: [{ point, capture: true }],
      stopAfterLayer: layer,
    });
    const activation = captured[point.key] as Tensor3D;
    const data = activation.dataSync() as Float32Array;
    tf.dispose(Object.values(captured));
    const length = batch.ids[0]?.length ?? 0;
    batch.attentionMask.forEach((mask, b) => {
      mask.forEach((m, t) => {
        if (m === 1) rows.push(data.slice((b * length + t) * d, (b * length + t + 1) * d));
      });
    });
  }
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(rows[i] as Float32Array, i * d);
  return out;
}

const cache = new WeakMap<CausalLM, Map<string, Float32Array>>();

/** The memory set's queries for `model` at `layer`, computed once per model, layer, size and seed. */
export function memoryQueries(model: CausalLM, layer: number, size: number, seed: number): Float32Array {
  const key = `${layer}:${size}:${seed}`;
  let perModel = cache.get(model);
  if (perModel === undefined) {
    perModel = new Map();
    cache.set(model, perModel);
  }
  let queries = perModel.get(key);
  if (queries === undefined) {
    queries = size === 0 ? new Float32Array(0) : computeQueries(model, layer, memoryPrompts(size, seed));
    perModel.set(key, queries);
  }
  return queries;
}
