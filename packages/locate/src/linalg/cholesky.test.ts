import { createRng } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolve, factorSpd, NotPositiveDefiniteError, solveSpd } from './cholesky.js';

/** A = G G^T / n + ridge I for a seeded Gaussian G: symmetric positive definite. */
function randomSpd(n: number, seed: number, ridge = 1): Float64Array {
  const rng = createRng(seed);
  const g = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += (g[i * n + k] as number) * (g[j * n + k] as number);
      a[i * n + j] = sum / n + (i === j ? ridge : 0);
    }
  }
  return a;
}

function matMul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k] as number;
      for (let c = 0; c < m; c++)
        out[i * m + c] = (out[i * m + c] as number) + aik * (b[k * m + c] as number);
    }
  return out;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe('cholesky', () => {
  it('factors a known 3 x 3 matrix exactly', () => {
    // [[4, 12, -16], [12, 37, -43], [-16, -43, 98]] = L L^T with L = [[2,0,0],[6,1,0],[-8,5,3]].
    const l = cholesky([4, 12, -16, 12, 37, -43, -16, -43, 98], 3);
    expect(Array.from(l)).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
  });

  it('reconstructs A = L L^T and solves A x = b to float64 accuracy (n = 64)', () => {
    const n = 64;
    const a = randomSpd(n, 1);
    const l = cholesky(a, n);
    const lt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[i * n + j] = l[j * n + i] as number;
    expect(maxAbs(matMul(l, lt, n, n), a)).toBeLessThan(1e-12);
    const rng = createRng(2);
    const m = 5;
    const b = Float64Array.from({ length: n * m }, () => rng.normal());
    const x = choleskySolve(l, n, b, m);
    expect(maxAbs(matMul(a, x, n, m), b)).toBeLessThan(1e-12);
    expect(maxAbs(solveSpd(a, n, b, m), x)).toBe(0);
  });

  it('rejects an indefinite matrix and wrong shapes', () => {
    expect(() => cholesky([1, 2, 2, 1], 2)).toThrow(NotPositiveDefiniteError);
    expect(() => cholesky([1, 0, 0], 2)).toThrow(/2 x 2 matrix/);
    expect(() => choleskySolve(new Float64Array([1]), 1, [1, 2], 1)).toThrow(/right-hand side/);
  });

  it('factorSpd adds the smallest jitter that makes a singular moment definite', () => {
    // Rank one: u u^T with u = (1, 2, 3); exact Cholesky fails at the second pivot.
    const u = [1, 2, 3];
    const a = u.flatMap((x) => u.map((y) => x * y));
    expect(() => cholesky(a, 3)).toThrow(NotPositiveDefiniteError);
    const factor = factorSpd(a, 3);
    expect(factor.shift).toBeGreaterThan(0);
    expect(factor.shift).toBeLessThan(1e-5);
    expect(factorSpd(randomSpd(8, 3), 8).shift).toBe(0);
    expect(() => factorSpd(a, 3, { jitters: [] })).toThrow(NotPositiveDefiniteError);
  });

  // Its speed is a benchmark's business (no timed tests); here only the accuracy at full size.
  it('solves at n = 512 (the default model key width) to 1e-10', () => {
    const n = 512;
    const a = randomSpd(n, 4, 0.5);
    const factor = factorSpd(a, n);
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const x = factor.solve(b);
    expect(maxAbs(matMul(a, x, n, 1), b)).toBeLessThan(1e-10);
  });
});
