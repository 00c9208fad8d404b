import { initBackend, tf } from '@llmedit/core';
import {
  type BpeTokenizer,
  type CausalLM,
  createModel,
  type HostTensor,
  type LlamaConfig,
  trainByteLevelBpe,
  weightSpecs,
} from '@llmedit/models';

/**
 * A "bigram" LLaMA whose next-token logits are a table we set by hand: every block is switched off (zero
 * norm gains make attention and MLP outputs exactly 0), each token of interest has a one-hot embedding of
 * RMS 1 in its own slot, and the untied head reads the table from that slot. So P(next | text) =
 * softmax(table[last token]) over the whole vocabulary (unlisted logits are 0), up to the final RMSNorm's
 * epsilon (a relative 5e-7).
 */

export async function useWasm(): Promise<void> {
  await initBackend({ prefer: ['wasm'] });
}

/** Byte-level BPE with exactly two merges, so " n" and " t" are single tokens. */
export function toyTokenizer(): BpeTokenizer {
  return trainByteLevelBpe([' n n n n', ' t t t'], {
    vocabSize: 259,
    specialTokens: ['<eos>'],
    minFrequency: 1,
  });
}

/** Context tokens with their own slot; every other token shares slot 0. */
export const TOY_CONTEXTS = ['q', 'r', ' n', ' t'] as const;
export type ToyContext = (typeof TOY_CONTEXTS)[number];
/** Next-token logits per context token (by text); unlisted tokens get logit 0. */
export type LogitTable = Partial<Record<ToyContext, Partial<Record<string, number>>>>;

const HIDDEN = 8;

export interface ToyModel {
  model: CausalLM;
  tokenizer: BpeTokenizer;
  id(text: string): number;
  /** Replace the whole logit table (an "edit": the model id stays the same). */
  setTable(table: LogitTable): void;
  /** softmax(table[context]) at `next`, over the full vocabulary. */
  probability(table: LogitTable, context: ToyContext, next: string): number;
}

export function toyModel(table: LogitTable): ToyModel {
  const tokenizer = toyTokenizer();
  const id = (text: string): number => {
    const ids = tokenizer.encode(text);
    if (ids.length !== 1) throw new Error(`toy token ${JSON.stringify(text)} encodes to ${ids.length} ids`);
    return ids[0]!;
  };
  const config: LlamaConfig = {
    architecture: 'llama',
    vocabSize: tokenizer.vocabSize,
    maxPositions: 64,
    hiddenSize: HIDDEN,
    numLayers: 1,
    numHeads: 2,
    numKeyValueHeads: 2,
    headDim: 4,
    intermediateSize: 8,
    rmsNormEpsilon: 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
    bosTokenId: 0,
    eosTokenId: 0,
  };
  const vocab = config.vocabSize;
  const slot = new Map(TOY_CONTEXTS.map((c, k) => [id(c), k + 1]));
  const scale = Math.sqrt(HIDDEN);
  const head = (t: LogitTable): Float32Array => {
    const w = new Float32Array(vocab * HIDDEN);
    TOY_CONTEXTS.forEach((context, k) => {
      for (const [next, logit] of Object.entries(t[context] ?? {}))
        w[id(next) * HIDDEN + k + 1] = logit! / scale;
    });
    return w;
  };
  const weights = new Map<string, HostTensor>();
  for (const spec of weightSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    weights.set(spec.name, { shape: spec.shape, data: new Float32Array(size) });
  }
  const embed = weights.get('model.embed_tokens.weight')!.data as Float32Array;
  for (let t = 0; t < vocab; t++) embed[t * HIDDEN + (slot.get(t) ?? 0)] = scale;
  (weights.get('model.norm.weight')!.data as Float32Array).fill(1);
  weights.set('lm_head.weight', { shape: [vocab, HIDDEN], data: head(table) });
  const model = createModel(config, weights, tokenizer);
  return {
    model,
    tokenizer,
    id,
    setTable(next) {
      const value = tf.tensor2d(head(next), [vocab, HIDDEN]);
      model.setWeight('lm_head.weight', value);
      value.dispose();
    },
    probability(t, context, next) {
      const row = t[context] ?? {};
      let z = vocab - Object.keys(row).length;
      for (const logit of Object.values(row)) z += Math.exp(logit!);
      return Math.exp(row[next] ?? 0) / z;
    },
  };
}
