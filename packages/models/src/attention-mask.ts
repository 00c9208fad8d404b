import { InvalidRequestError } from '@llmedit/core';

/** Rows of token ids with a mask: 1 marks a real token, 0 a pad. Every row has the same length. */
export interface TokenBatch {
  ids: readonly (readonly number[])[];
  attentionMask: readonly (readonly number[])[];
}

export function checkBatch(batch: TokenBatch): { batchSize: number; length: number } {
  const batchSize = batch.ids.length;
  if (batchSize === 0) throw new InvalidRequestError('token batch', 'ids', 'must hold at least one row');
  const length = batch.ids[0]!.length;
  if (batch.attentionMask.length !== batchSize) {
    throw new InvalidRequestError(
      'token batch',
      'attentionMask',
      `has ${batch.attentionMask.length} rows, ids ${batchSize}`,
    );
  }
  for (let b = 0; b < batchSize; b++) {
    if (batch.ids[b]!.length !== length || batch.attentionMask[b]!.length !== length) {
      throw new InvalidRequestError(
        'token batch',
        `ids[${b}]`,
        'rows of ids and attentionMask must all have one length',
      );
    }
  }
  return { batchSize, length };
}

/**
 * Position of every token counted over real tokens only (pads get 0), continuing from `pastReal[b]` real
 * tokens already in a KV cache. Counting real tokens is what makes left- and right-padded batches give the
 * same logits for the real tokens.
 */
export function positionIds(mask: readonly (readonly number[])[], pastReal?: readonly number[]): Int32Array {
  const batchSize = mask.length;
  const length = mask[0]?.length ?? 0;
  const out = new Int32Array(batchSize * length);
  for (let b = 0; b < batchSize; b++) {
    let seen = pastReal?.[b] ?? 0;
    for (let t = 0; t < length; t++) {
      if (mask[b]![t] === 1) {
        out[b * length + t] = seen;
        seen++;
      }
    }
  }
  return out;
}

/**
 * Additive attention bias [batch, 1, queries, keys]: 0 where query i may attend key j (j is real and not in
 * the future), a large negative number elsewhere. The queries are the last `queries` of the keys. A finite
 * value (not -Infinity) keeps fully masked pad rows finite instead of NaN.
 */
export function attentionBias(keyMask: readonly (readonly number[])[], queries: number): Float32Array {
  const batchSize = keyMask.length;
  const keys = keyMask[0]?.length ?? 0;
  const offset = keys - queries;
  const out = new Float32Array(batchSize * queries * keys).fill(-1e9);
  for (let b = 0; b < batchSize; b++) {
    const row = keyMask[b]!;
    for (let i = 0; i < queries; i++) {
      const base = (b * queries + i) * keys;
      const last = offset + i;
      for (let j = 0; j <= last; j++) if (row[j] === 1) out[base + j] = 0;
    }
  }
  return out;
}
