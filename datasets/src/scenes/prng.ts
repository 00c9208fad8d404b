import { fmix32 } from '../splits.js';

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator, public domain), written out here so that scenes are
 * identical in Node and browsers and across versions of any dependency: 32-bit integer arithmetic only.
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One independent stream per (seed, view, purpose). Consecutive seeds are hashed (MurmurHash3's finaliser)
 * so neighbouring seeds do not start from neighbouring states, and each purpose (layout, questions, view,
 * pixels) has its own salt so that, e.g., adding a question type never changes the layouts.
 */
export function sceneRng(seed: number, view: number, salt: number): Rng {
  const mixed = fmix32((fmix32((seed ^ salt) >>> 0) ^ Math.imul(view + 1, 0x9e3779b1)) >>> 0);
  return mulberry32(mixed);
}

/** Salts of the streams (arbitrary distinct constants; changing one changes the data set). */
export const RNG_SALT = {
  layout: 0x5ce4e001,
  questions: 0x5ce4e002,
  view: 0x5ce4e003,
  pixels: 0x5ce4e004,
} as const;

/** Uniform integer in [lo, hi] (both inclusive). */
export function randomInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** Uniform number in [lo, hi). */
export function randomRange(rng: Rng, lo: number, hi: number): number {
  return lo + rng() * (hi - lo);
}

/** Fisher-Yates shuffle into a new array. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, 0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
