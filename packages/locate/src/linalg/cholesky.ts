// Cholesky factorisation A = L L^T of a symmetric positive definite matrix and the triangular solves
// (Golub & Van Loan, Matrix Computations, 4th ed., Algorithm 4.2.1 and section 3.1), in float64.
// Plain JS is exact and fast enough for the MLP key widths editing needs (perf.md section 6: 256 ms at
// n = 1024); tfjs has no solver at all.
import { LlmeditError, ShapeMismatchError } from '@llmedit/core';

/** The matrix is not (numerically) positive definite: its Cholesky factorisation hit a pivot <= 0. */
export class NotPositiveDefiniteError extends LlmeditError {
  constructor(
    readonly column: number,
    readonly pivot: number,
  ) {
    super(
      'NOT_POSITIVE_DEFINITE',
      `Matrix is not positive definite: pivot ${pivot} at column ${column} (add a multiple of the identity)`,
    );
  }
}

/** A dense row-major n x n float64 matrix. */
export interface SquareMatrix {
  readonly n: number;
  readonly data: Float64Array;
}

function checkSquare(data: ArrayLike<number>, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || data.length !== n * n) {
    throw new ShapeMismatchError(`${what}: ${n} x ${n} matrix`, [n * n], [data.length]);
  }
}

/**
 * The lower-triangular L with A = L L^T (row-major, upper triangle zero). Only A's lower triangle is read.
 * Throws `NotPositiveDefiniteError` when a pivot is not positive.
 */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array {
  checkSquare(a, n, 'cholesky');
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      // Dot product of rows i and j of L over the first j columns: contiguous reads in row-major order.
      let sum = a[rowI + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[rowI + k] as number) * (l[rowJ + k] as number);
      if (i === j) {
        if (!(sum > 0)) throw new NotPositiveDefiniteError(j, sum);
        l[rowI + i] = Math.sqrt(sum);
      } else {
        l[rowI + j] = sum / (l[rowJ + j] as number);
      }
    }
  }
  return l;
}

/**
 * Solve A X = B given A's Cholesky factor L (n x n), for B with `m` columns (row-major n x m; m = 1 for a
 * vector). Returns X (n x m, row-major, float64).
 */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>, m = 1): Float64Array {
  checkSquare(l, n, 'choleskySolve factor');
  if (!Number.isInteger(m) || m < 1 || b.length !== n * m) {
    throw new ShapeMismatchError(`choleskySolve: right-hand side ${n} x ${m}`, [n * m], [b.length]);
  }
  const x = Float64Array.from(b);
  // Forward substitution L Y = B, one row of Y at a time (row updates are contiguous).
  for (let i = 0; i < n; i++) {
    const rowX = i * m;
    for (let k = 0; k < i; k++) {
      const factor = l[i * n + k] as number;
      if (factor === 0) continue;
      const rowK = k * m;
      for (let c = 0; c < m; c++) x[rowX + c] = (x[rowX + c] as number) - factor * (x[rowK + c] as number);
    }
    const pivot = l[i * n + i] as number;
    for (let c = 0; c < m; c++) x[rowX + c] = (x[rowX + c] as number) / pivot;
  }
  // Back substitution L^T X = Y, last row first.
  for (let i = n - 1; i >= 0; i--) {
    const rowX = i * m;
    for (let k = i + 1; k < n; k++) {
      const factor = l[k * n + i] as number;
      if (factor === 0) continue;
      const rowK = k * m;
      for (let c = 0; c < m; c++) x[rowX + c] = (x[rowX + c] as number) - factor * (x[rowK + c] as number);
    }
    const pivot = l[i * n + i] as number;
    for (let c = 0; c < m; c++) x[rowX + c] = (x[rowX + c] as number) / pivot;
  }
  return x;
}

/** Options of `factorSpd`. */
export interface FactorOptions {
  /**
   * When A is not numerically positive definite, retry with A + jitter * mean(diag A) * I for each jitter in
   * turn (default [1e-10, 1e-8, 1e-6, 1e-4]); [] to fail at once.
   */
  readonly jitters?: readonly number[];
}

/** A Cholesky factor, with the diagonal shift that was needed to obtain it (0 when none). */
export interface SpdFactor {
  readonly n: number;
  readonly l: Float64Array;
  readonly shift: number;
  /** Solve A X = B for B with `m` columns (row-major n x m). */
  solve(b: ArrayLike<number>, m?: number): Float64Array;
}

/**
 * Factor a symmetric positive (semi-)definite matrix, adding a small multiple of the identity when rounding
 * makes a nearly singular second moment (a rarely active key dimension) lose definiteness.
 */
export function factorSpd(a: ArrayLike<number>, n: number, options: FactorOptions = {}): SpdFactor {
  checkSquare(a, n, 'factorSpd');
  const jitters = options.jitters ?? [1e-10, 1e-8, 1e-6, 1e-4];
  let meanDiagonal = 0;
  for (let i = 0; i < n; i++) meanDiagonal += (a[i * n + i] as number) / n;
  let lastError: unknown;
  for (const jitter of [0, ...jitters]) {
    const shift = jitter * Math.max(meanDiagonal, Number.MIN_VALUE);
    let shifted: ArrayLike<number> = a;
    if (shift > 0) {
      const copy = Float64Array.from(a);
      for (let i = 0; i < n; i++) copy[i * n + i] = (copy[i * n + i] as number) + shift;
      shifted = copy;
    }
    try {
      const l = cholesky(shifted, n);
      return { n, l, shift, solve: (b, m = 1) => choleskySolve(l, n, b, m) };
    } catch (error) {
      if (!(error instanceof NotPositiveDefiniteError)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/** Solve A X = B for a symmetric positive definite A (n x n) and B with `m` columns, in float64. */
export function solveSpd(a: ArrayLike<number>, n: number, b: ArrayLike<number>, m = 1): Float64Array {
  return choleskySolve(cholesky(a, n), n, b, m);
}
