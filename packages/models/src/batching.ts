import type { TokenBatch } from './attention-mask.js';

export type PaddingSide = 'left' | 'right';

/** Pad id sequences to one length with a mask (1 = real). Pads are masked, so the pad id is irrelevant. */
export function padBatch(
  sequences: readonly (readonly number[])[],
  padId: number,
  side: PaddingSide = 'right',
): TokenBatch & {
  offsets: number[];
} {
  const length = sequences.reduce((m, s) => Math.max(m, s.length), 0);
  const ids: number[][] = [];
  const attentionMask: number[][] = [];
  const offsets: number[] = [];
  for (const sequence of sequences) {
    const padCount = length - sequence.length;
    const pads = new Array<number>(padCount).fill(padId);
    const zeros = new Array<number>(padCount).fill(0);
    const ones = new Array<number>(sequence.length).fill(1);
    if (side === 'left') {
      ids.push([...pads, ...sequence]);
      attentionMask.push([...zeros, ...ones]);
      offsets.push(padCount);
    } else {
      ids.push([...sequence, ...pads]);
      attentionMask.push([...ones, ...zeros]);
      offsets.push(0);
    }
  }
  return { ids, attentionMask, offsets };
}

/**
 * Split item indices into chunks of similar length whose padded size stays under `maxTokens` (and at most
 * `maxRows` rows): sorting by length first keeps padding small; the 4 GB wasm heap caps the token budget.
 */
export function chunkByTokens(
  lengths: readonly number[],
  maxTokens: number,
  maxRows = Number.POSITIVE_INFINITY,
): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const chunks: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const index of order) {
    const nextLongest = Math.max(longest, lengths[index]!);
    if (current.length > 0 && (nextLongest * (current.length + 1) > maxTokens || current.length >= maxRows)) {
      chunks.push(current);
      current = [];
      longest = 0;
    }
    current.push(index);
    longest = Math.max(longest, lengths[index]!);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
