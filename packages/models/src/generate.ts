import { createRng, InvalidRequestError, type Rng, type Tensor } from '@llmedit/core';
import type { TokenBatch } from './attention-mask.js';
import { padBatch } from './batching.js';
import { type CausalLM, KvCache } from './causal-lm.js';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 'greedy' (default) or 'top-k' sampling. */
  strategy?: 'greedy' | 'top-k';
  topK?: number;
  temperature?: number;
  /** Seed of the sampling RNG: the same seed gives the same tokens. */
  seed?: number;
  /** Stop a row at the EOS token (default true). */
  stopAtEos?: boolean;
  /** Decode with a KV cache (default true); false recomputes the whole sequence each step. */
  useCache?: boolean;
}

export interface Generation {
  promptIds: number[];
  /** New tokens only (EOS included when it stopped the row). */
  ids: number[];
  text: string;
}

/**
 * Sample among the k most likely ids of a logits row, with probabilities softmax(logits / temperature) over
 * those k (ROME's generate_fast and EasyEdit's fluency sample the same way, k = 5). Ties go to the lower id,
 * so that the same RNG state always gives the same id.
 */
export function sampleTopK(row: Float32Array, k: number, rng: Rng, temperature = 1): number {
  // Partial selection of the k largest logits by insertion, kept in descending order.
  const top: number[] = [];
  const size = Math.min(k, row.length);
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (top.length === size && v <= row[top[size - 1]!]!) continue;
    let j = top.length < size ? top.length : size - 1;
    top[j] = i;
    while (j > 0 && row[top[j - 1]!]! < v) {
      top[j] = top[j - 1]!;
      top[j - 1] = i;
      j--;
    }
  }
  const max = row[top[0]!]!;
  const weights = top.map((i) => Math.exp((row[i]! - max) / temperature));
  let u = rng.next() * weights.reduce((s, w) => s + w, 0);
  for (let j = 0; j < top.length; j++) {
    u -= weights[j]!;
    if (u <= 0) return top[j]!;
  }
  return top[top.length - 1]!;
}

function pickToken(row: Float32Array, options: GenerateOptions, rng: Rng): number {
  if ((options.strategy ?? 'greedy') === 'greedy') {
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
    return best;
  }
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new InvalidRequestError('generate', 'temperature', 'must be > 0');
  return sampleTopK(row, options.topK ?? 5, rng, temperature);
}

/**
 * Generate continuations of token-id prompts (batched, left-padded). With the cache, the prompt is
 * processed once and each step feeds one token per row.
 */
export function generateIds(
  model: CausalLM,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
): number[][] {
  if (prompts.some((p) => p.length === 0))
    throw new InvalidRequestError('generate', 'prompt', 'must have at least one token');
  const rng = createRng(options.seed ?? 0);
  const eos = model.tokenizer?.eosTokenId ?? model.config.eosTokenId;
  const stopAtEos = options.stopAtEos ?? true;
  const outputs: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  const useCache = options.useCache ?? true;
  const cache = useCache ? new KvCache() : undefined;
  const prompt = padBatch(prompts, model.padTokenId, 'left');
  let full: TokenBatch = prompt;
  let step: TokenBatch = prompt;
  try {
    for (let n = 0; n < options.maxNewTokens && done.some((d) => !d); n++) {
      const { logits } = model.forward(useCache ? step : full, {
        logits: 'last',
        ...(cache ? { cache } : {}),
      });
      const values = (logits as Tensor).dataSync() as Float32Array;
      logits?.dispose();
      const vocab = model.config.vocabSize;
      const next = prompts.map((_, b) => {
        const token = pickToken(values.subarray(b * vocab, (b + 1) * vocab), options, rng);
        if (!done[b]) {
          outputs[b]!.push(token);
          if (stopAtEos && token === eos) done[b] = true;
        }
        return token;
      });
      step = { ids: next.map((t) => [t]), attentionMask: next.map(() => [1]) };
      full = {
        ids: full.ids.map((row, b) => [...row, next[b]!]),
        attentionMask: full.attentionMask.map((row) => [...row, 1]),
      };
    }
  } finally {
    cache?.dispose();
  }
  return outputs;
}

/** Generate from text prompts; returns new ids and their decoded text. */
export function generate(
  model: CausalLM,
  prompts: readonly string[],
  options: GenerateOptions,
): Generation[] {
  const tokenizer = model.requireTokenizer();
  const bos =
    model.config.architecture === 'llama' ? (tokenizer.bosTokenId ?? model.config.bosTokenId) : undefined;
  const promptIds = prompts.map((p) =>
    bos === undefined ? tokenizer.encode(p) : [bos, ...tokenizer.encode(p)],
  );
  return generateIds(model, promptIds, options).map((ids, i) => ({
    promptIds: promptIds[i]!,
    ids,
    text: tokenizer.decode(ids, { skipSpecialTokens: true }),
  }));
}
