import { createRng, InvalidRequestError, type Tensor } from '@llmedit/core';
import {
  type CausalLM,
  chunkByTokens,
  KvCache,
  padBatch,
  sampleTopK,
  type TokenBatch,
} from '@llmedit/models';
import { hashString } from './hash.js';

/** Top-k sampling as in ROME's `generate_fast` (used by EasyEdit's fluency and ROME's GE). */
export interface GenerationOptions {
  /** Total tokens per text, prompt included (generate_fast's `max_out_len`). Default 100. */
  maxLength?: number;
  /** Sample among the k most likely tokens. Default 5. */
  topK?: number;
  /** Rows per generation batch (prompts are sorted by length first). Default 64. */
  maxRows?: number;
}

/** One text to generate: `key` seeds its own RNG stream, so its sample never depends on the batch it is in. */
export interface SampleItem {
  prompt: string;
  key: string;
}

/**
 * A decoded text as ROME's and EasyEdit's `generate_fast` returns it (easyeditor/util/generate.py:169-173):
 * Unicode NFKD normal form, each blank line ("\n\n") replaced by a space.
 */
export function generateFastText(text: string): string {
  return text.normalize('NFKD').replaceAll('\n\n', ' ');
}

/**
 * Seeded top-k continuations of text prompts, returned as prompt + continuation (the full text that
 * `generate_fast` returns and the entropy is computed on, normalised as it does: `generateFastText`).
 * Generation does not stop at EOS, as in `generate_fast`; special tokens are dropped when decoding. Batched
 * with a KV cache, left-padded.
 */
export function sampleTexts(
  model: CausalLM,
  items: readonly SampleItem[],
  seed: number,
  options: GenerationOptions = {},
): string[] {
  const tokenizer = model.requireTokenizer();
  const maxLength = Math.min(options.maxLength ?? 100, model.config.maxPositions);
  const topK = options.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1)
    throw new InvalidRequestError('generation', 'topK', 'must be a positive integer');
  const bos =
    model.config.architecture === 'llama' ? (tokenizer.bosTokenId ?? model.config.bosTokenId) : undefined;
  const promptIds = items.map((item) => {
    const ids = tokenizer.encode(item.prompt);
    if (ids.length === 0) throw new InvalidRequestError(item.key, 'prompt', 'encodes to no tokens');
    return bos === undefined ? ids : [bos, ...ids];
  });
  const texts = items.map((item) => item.prompt);
  const vocab = model.config.vocabSize;
  const maxRows = options.maxRows ?? 64;
  for (const chunk of chunkByTokens(
    promptIds.map((p) => p.length),
    Number.POSITIVE_INFINITY,
    maxRows,
  )) {
    const budget = chunk.map((i) => Math.max(0, maxLength - promptIds[i]!.length));
    const steps = Math.max(...budget);
    if (steps === 0) continue;
    const rngs = chunk.map((i) => createRng(seed).fork(hashString(items[i]!.key)));
    const outputs: number[][] = chunk.map(() => []);
    const cache = new KvCache();
    try {
      let batch: TokenBatch = padBatch(
        chunk.map((i) => promptIds[i]!),
        model.padTokenId,
        'left',
      );
      for (let step = 0; step < steps; step++) {
        const { logits } = model.forward(batch, { logits: 'last', cache });
        const values = (logits as Tensor).dataSync() as Float32Array;
        logits?.dispose();
        const next = chunk.map((_, row) => {
          const token = sampleTopK(values.subarray(row * vocab, (row + 1) * vocab), topK, rngs[row]!);
          if (outputs[row]!.length < budget[row]!) outputs[row]!.push(token);
          return token;
        });
        batch = { ids: next.map((t) => [t]), attentionMask: next.map(() => [1]) };
      }
    } finally {
      cache.dispose();
    }
    chunk.forEach((i, row) => {
      texts[i] = generateFastText(
        items[i]!.prompt + tokenizer.decode(outputs[row]!, { skipSpecialTokens: true }),
      );
    });
  }
  return texts;
}
