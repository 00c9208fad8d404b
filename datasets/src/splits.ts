/**
 * Fixed evaluation/training splits. Rule (documented in README.md): every record id gets the rank
 * fmix32(FNV-1a-32(UTF-8 of `${SPLIT_SEED}:${dataset}:${id}`)); ids are sorted by (rank, id) ascending; the first
 * SPLIT_EVAL_SIZE form the evaluation split and the rest the training split, both kept in that order so
 * that any prefix of a split is itself a fixed pseudo-random sample.
 */

import { DatasetError } from './errors.js';

export type SplitDataset = 'counterfact' | 'zsre';
export type SplitName = 'eval' | 'train';

export const SPLIT_DATASETS: readonly SplitDataset[] = ['counterfact', 'zsre'];
export const SPLIT_SEED = 'llmedit-split-v1';
export const SPLIT_EVAL_SIZE = 300;

/** FNV-1a, 32-bit, over the UTF-8 bytes of `text` (a small, well-specified hash any language can redo). */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * MurmurHash3's 32-bit finaliser. FNV-1a alone barely mixes its last input bytes, so ids that differ only
 * in their last digits would get neighbouring ranks and the split would take runs of adjacent ids.
 */
export function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

export function splitRank(dataset: SplitDataset, id: number): number {
  return fmix32(fnv1a32(`${SPLIT_SEED}:${dataset}:${id}`));
}

/** Applies the split rule to a dataset's ids (CounterFact case ids, zsRE file indices). */
export function computeSplit(
  dataset: SplitDataset,
  ids: readonly number[],
  evalSize: number = SPLIT_EVAL_SIZE,
): Record<SplitName, number[]> {
  if (new Set(ids).size !== ids.length) throw new DatasetError(dataset, 'split ids are not unique');
  if (evalSize > ids.length)
    throw new DatasetError(dataset, `eval size ${evalSize} exceeds the ${ids.length} ids`);
  const ranked = ids
    .map((id) => ({ id, rank: splitRank(dataset, id) }))
    .sort((a, b) => a.rank - b.rank || a.id - b.id)
    .map((r) => r.id);
  return { eval: ranked.slice(0, evalSize), train: ranked.slice(evalSize) };
}

/** Picks the records with the given ids, in the order of `ids`; throws if one is missing. */
export function selectByIds<T>(
  records: readonly T[],
  ids: readonly number[],
  idOf: (r: T) => number,
  what: string,
): T[] {
  const byId = new Map(records.map((r) => [idOf(r), r] as const));
  return ids.map((id) => {
    const rec = byId.get(id);
    if (rec === undefined) throw new DatasetError(what, `split id ${id} is not in the source file`);
    return rec;
  });
}
