import { createRng } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { bootstrapMean, quantile } from './bootstrap.js';

describe('bootstrap intervals', () => {
  const rng = createRng(7);
  const values: number[] = Array.from({ length: 200 }, () => (rng.next() < 0.3 ? 1 : 0));
  const m = values.reduce((s, v) => s + v, 0) / values.length;

  it('covers the mean, has about the normal-theory width, and is reproducible from its seed', () => {
    const ci = bootstrapMean(values, { seed: 1 });
    expect(ci.level).toBe(0.95);
    expect(ci.low).toBeLessThan(m);
    expect(ci.high).toBeGreaterThan(m);
    const normalHalfWidth = 1.96 * Math.sqrt((m * (1 - m)) / values.length);
    expect((ci.high - ci.low) / 2).toBeGreaterThan(0.8 * normalHalfWidth);
    expect((ci.high - ci.low) / 2).toBeLessThan(1.2 * normalHalfWidth);
    expect(bootstrapMean(values, { seed: 1 })).toEqual(ci);
    expect(bootstrapMean(values, { seed: 2 })).not.toEqual(ci);
  });

  it('narrows with a lower level and collapses on constant data', () => {
    const wide = bootstrapMean(values, { seed: 3, level: 0.95 });
    const narrow = bootstrapMean(values, { seed: 3, level: 0.5 });
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
    expect(bootstrapMean([0.25, 0.25, 0.25], { seed: 1 })).toEqual({ low: 0.25, high: 0.25, level: 0.95 });
    expect(bootstrapMean([], { seed: 1 }).low).toBeNaN();
    expect(() => bootstrapMean(values, { level: 1 })).toThrow(/level/);
  });

  it('interpolates quantiles linearly between order statistics', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([10, 20], 0.25)).toBe(12.5);
  });
});
