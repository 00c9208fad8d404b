import type { Rng } from '@llmedit/core';

/** Collapses every run of whitespace (newlines included) to one space and trims, so held-out matching
 * does not depend on how a prefix sentence was joined to its statement. */
export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Fisher-Yates shuffle in place, driven by the seeded generator (reproducible order). */
export function shuffleInPlace<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** One element drawn uniformly; the caller guarantees a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick() needs a non-empty list');
  return items[rng.int(items.length)] as T;
}

/** `count` distinct indices of [0, n) in random order (all of them when count >= n). */
export function sampleIndices(rng: Rng, n: number, count: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(rng, all);
  return all.slice(0, Math.min(count, n));
}
