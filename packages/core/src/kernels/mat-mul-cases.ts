/** Test-only: the matmul cases every matmul kernel of wasm (fixed and native) is checked on against cpu. */
import { tf } from '../tf.js';
import { randn } from './test-helpers.js';

export interface Case {
  readonly outerA: number[];
  readonly outerB: number[];
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

export function shapes(c: Case): { a: number[]; b: number[] } {
  return {
    a: [...c.outerA, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])],
    b: [...c.outerB, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])],
  };
}

/**
 * Forward value and the gradients of sum(matMul(a, b) * r) w.r.t. a and b. tfjs-core's matMul gradient does
 * not reduce broadcast batch dimensions (on any backend), so broadcast cases check the forward only; their
 * backward products are ordinary batched/transposed products covered by the other cases.
 */
export function forwardAndGrads(c: Case, seed: number): () => tf.Tensor[] {
  const withGrads = c.outerA.join() === c.outerB.join();
  const { a: sa, b: sb } = shapes(c);
  const av = randn(tf.util.sizeFromShape(sa), seed);
  const bv = randn(tf.util.sizeFromShape(sb), seed + 1);
  return () => {
    const a = tf.tensor(av, sa);
    const b = tf.tensor(bv, sb);
    const y = tf.matMul(a, b, c.transposeA, c.transposeB);
    if (!withGrads) return [y];
    const r = tf.tensor(randn(y.size, seed + 2), y.shape);
    const [ga, gb] = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(x, w, c.transposeA, c.transposeB), r)),
    )([a, b]);
    return [y, ga as tf.Tensor, gb as tf.Tensor];
  };
}

const DIMS: [number, number, number][] = [
  [1, 1, 1],
  [1, 17, 64],
  [3, 1, 17],
  [17, 3, 1],
  [64, 17, 3],
  [17, 64, 129],
  [129, 64, 17],
  [3, 129, 64],
  [64, 64, 64],
  [129, 3, 129],
];
const BATCHES: [number[], number[]][] = [
  [[], []],
  [[3], []],
  [[], [3]],
  [[2], [2]],
  [
    [2, 3],
    [2, 3],
  ],
  [[3], [1]],
];
const FLAGS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

export const CASES: Case[] = [];
for (const [m, k, n] of DIMS) {
  for (const [outerA, outerB] of BATCHES) {
    for (const [transposeA, transposeB] of FLAGS)
      CASES.push({ outerA, outerB, m, k, n, transposeA, transposeB });
  }
}

/** `tf.fused.matMul` cases: shapes, transposes, bias and activation. */
export interface FusedCase {
  readonly a: number[];
  readonly b: number[];
  readonly tA: boolean;
  readonly tB: boolean;
  readonly bias: boolean;
  readonly act: tf.fused.Activation;
}

export const FUSED_CASES: FusedCase[] = [
  { a: [3, 17, 64], b: [64, 33], tA: false, tB: false, bias: true, act: 'linear' },
  { a: [2, 64, 17], b: [33, 64], tA: true, tB: true, bias: true, act: 'relu' },
  { a: [17, 64], b: [129, 64], tA: false, tB: true, bias: true, act: 'linear' },
  { a: [64, 17], b: [64, 129], tA: true, tB: false, bias: false, act: 'elu' },
  { a: [129, 64], b: [17, 64], tA: false, tB: true, bias: false, act: 'linear' },
  { a: [2, 17, 64], b: [2, 64, 33], tA: false, tB: false, bias: true, act: 'relu' },
  { a: [3, 64, 17], b: [3, 33, 64], tA: true, tB: true, bias: true, act: 'linear' },
  { a: [17, 64], b: [3, 64, 33], tA: false, tB: false, bias: true, act: 'relu6' },
  { a: [3, 17, 64], b: [3, 64, 33], tA: false, tB: false, bias: false, act: 'sigmoid' },
];

/** Whether a fused case checks gradients too (not for broadcast batches, as in `forwardAndGrads`). */
export function fusedSameBatch(c: FusedCase): boolean {
  return c.a.slice(0, -2).join() === c.b.slice(0, -2).join();
}

/** Forward value and the gradients of sum(fused(a, b, bias) * r) w.r.t. a, b (and the bias if any). */
export function fusedForwardAndGrads(c: FusedCase, i: number): () => tf.Tensor[] {
  const av = randn(tf.util.sizeFromShape(c.a), 50 + i);
  const bv = randn(tf.util.sizeFromShape(c.b), 60 + i);
  const n = c.tB ? (c.b.at(-2) as number) : (c.b.at(-1) as number);
  const biasv = randn(n, 70 + i);
  const sameBatch = fusedSameBatch(c);
  const fn = (): tf.Tensor[] => {
    const a = tf.tensor(av, c.a);
    const b = tf.tensor(bv, c.b);
    const bias = tf.tensor1d(biasv);
    const f = (x: tf.Tensor, w: tf.Tensor, z: tf.Tensor): tf.Tensor =>
      tf.fused.matMul({
        a: x,
        b: w,
        transposeA: c.tA,
        transposeB: c.tB,
        activation: c.act,
        ...(c.bias ? { bias: z } : {}),
      });
    const y = f(a, b, bias);
    const r = tf.tensor(randn(y.size, 80 + i), y.shape);
    const loss = (...xs: tf.Tensor[]): tf.Tensor => tf.sum(tf.mul(f(xs[0]!, xs[1]!, xs[2] ?? bias), r));
    // As in forwardAndGrads: tfjs-core cannot differentiate broadcast batch dimensions, so those check the forward.
    if (!sameBatch) return [y];
    return [y, ...tf.grads(loss)(c.bias ? [a, b, bias] : [a, b])];
  };
  return fn;
}

/**
 * A [1,16,32]x[8,32,24] product (a per-batch loop on wasm) repeated among allocations and frees: whether the
 * operand A kept its values, and the largest difference between the first product and one after the churn.
 * A kernel that frees or overwrites the blocks it views shows up in either.
 */
export function productUnderHeapChurn(): { operandIntact: boolean; rerunDiff: number } {
  const av = randn(16 * 32, 91);
  const a = tf.tensor3d(av, [1, 16, 32]);
  const b = tf.tensor3d(randn(8 * 32 * 24, 92), [8, 32, 24]);
  const first = tf.matMul(a, b);
  for (let i = 0; i < 20; i++) tf.dispose(tf.matMul(a, b));
  const churn = Array.from({ length: 50 }, () => tf.fill([16 * 32], 7));
  const again = tf.matMul(a, b);
  const kept = a.dataSync();
  const operandIntact = kept.every((v, i) => v === av[i]);
  const x = again.dataSync();
  const y = first.dataSync();
  let rerunDiff = 0;
  for (let i = 0; i < x.length; i++) rerunDiff = Math.max(rerunDiff, Math.abs(x[i]! - y[i]!));
  tf.dispose([a, b, first, again, ...churn]);
  return { operandIntact, rerunDiff };
}
