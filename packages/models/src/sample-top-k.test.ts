import { createRng } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { sampleTopK } from './generate.js';

describe('sampleTopK', () => {
  it('only ever picks among the k largest logits', () => {
    const row = Float32Array.from([0.5, 3, -1, 2.9, 2.8, 0]);
    const rng = createRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(sampleTopK(row, 3, rng));
    expect([...seen].sort()).toEqual([1, 3, 4]);
  });

  it('breaks ties towards the lower id, so k = 1 is greedy with the first maximum', () => {
    const row = Float32Array.from([1, 4, 2, 4, 4]);
    expect(sampleTopK(row, 1, createRng(1))).toBe(1);
    const seen = new Set<number>();
    const rng = createRng(3);
    for (let i = 0; i < 200; i++) seen.add(sampleTopK(row, 2, rng));
    expect([...seen].sort()).toEqual([1, 3]);
  });

  it('samples with softmax weights over the top k, sharpened by a low temperature', () => {
    const row = Float32Array.from([Math.log(3), 0, -5]);
    const count = (temperature: number) => {
      const rng = createRng(11);
      let first = 0;
      for (let i = 0; i < 4000; i++) if (sampleTopK(row, 2, rng, temperature) === 0) first++;
      return first / 4000;
    };
    // p(id 0) = 3 / (3 + 1) = 0.75 at temperature 1; 27 / 28 at temperature 1/3.
    expect(count(1)).toBeCloseTo(0.75, 1);
    expect(count(1 / 3)).toBeGreaterThan(0.93);
  });

  it('accepts k larger than the row and gives the same id for the same seed', () => {
    const row = Float32Array.from([0, 1]);
    const a = Array.from(
      { length: 20 },
      (
        (rng) => () =>
          sampleTopK(row, 10, rng)
      )(createRng(5)),
    );
    const b = Array.from(
      { length: 20 },
      (
        (rng) => () =>
          sampleTopK(row, 10, rng)
      )(createRng(5)),
    );
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([0, 1]));
  });
});
