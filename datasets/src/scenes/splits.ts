import { SceneError } from './errors.js';

/**
 * Disjoint seed ranges. Training, evaluation and locality probes (the "other images" a multimodal edit
 * must not change) never share a scene; the ranges are far apart so either can grow without overlapping.
 */
export const SCENE_SPLITS = {
  train: { first: 0, count: 20_000 },
  eval: { first: 1_000_000, count: 5_000 },
  locality: { first: 2_000_000, count: 5_000 },
} as const satisfies Record<string, { first: number; count: number }>;

export type SceneSplit = keyof typeof SCENE_SPLITS;

/** The first `n` seeds of a split (all of them by default), in increasing order. */
export function sceneSeeds(split: SceneSplit, n?: number): number[] {
  const range = SCENE_SPLITS[split] as { first: number; count: number } | undefined;
  if (range === undefined)
    throw new SceneError(String(split), `unknown scene split (${Object.keys(SCENE_SPLITS).join(', ')})`);
  const take = n ?? range.count;
  if (!Number.isInteger(take) || take < 0 || take > range.count) {
    throw new SceneError(split, `cannot take ${take} seeds from a split of ${range.count}`);
  }
  return Array.from({ length: take }, (_, i) => range.first + i);
}
