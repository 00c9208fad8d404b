// Percentile bootstrap confidence intervals (Efron & Tibshirani 1993, chapter 13), seeded.
import { createRng, InvalidRequestError, type Rng } from '@llmedit/core';

export interface BootstrapOptions {
  /** Seed of the resampling RNG: same seed and data give the same interval. Default 0. */
  seed?: number;
  /** Number of resamples. Default 1000. */
  resamples?: number;
  /** Coverage of the interval. Default 0.95. */
  level?: number;
}

export interface Interval {
  low: number;
  high: number;
  level: number;
}

/** Quantile with linear interpolation between order statistics (the usual "type 7" definition). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function check(options: BootstrapOptions): { resamples: number; level: number } {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new InvalidRequestError('bootstrap', 'resamples', 'must be a positive integer');
  if (!(level > 0 && level < 1)) throw new InvalidRequestError('bootstrap', 'level', 'must be in (0, 1)');
  return { resamples, level };
}

/**
 * Percentile interval of `statistic` over `n` items: each resample draws n item indices with replacement
 * and passes them to `statistic`. Resampling whole items (records) keeps the metrics of one record together,
 * which a derived statistic such as ROME's Score (a harmonic mean of three means) needs.
 */
export function bootstrapStatistic(
  n: number,
  statistic: (indices: Int32Array) => number,
  options: BootstrapOptions & { rng?: Rng } = {},
): Interval {
  const { resamples, level } = check(options);
  if (n === 0) return { low: Number.NaN, high: Number.NaN, level };
  const rng = options.rng ?? createRng(options.seed ?? 0);
  const stats: number[] = [];
  const indices = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) indices[i] = rng.int(n);
    stats.push(statistic(indices));
  }
  stats.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return { low: quantile(stats, alpha), high: quantile(stats, 1 - alpha), level };
}

/** Percentile bootstrap interval of the mean of `values`. */
export function bootstrapMean(
  values: readonly number[],
  options: BootstrapOptions & { rng?: Rng } = {},
): Interval {
  return bootstrapStatistic(
    values.length,
    (indices) => {
      let sum = 0;
      for (const i of indices) sum += values[i]!;
      return sum / indices.length;
    },
    options,
  );
}
