import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { nativeBlasKernelsInstalled } from './install.js';
import { loadNativeBlas } from './native-blas.js';
import { loadNativeKernels } from './native-kernels.js';
import { reductionBlock } from './reductions.js';
import { randn, relMaxDiff, runOn } from './test-helpers.js';

// Sums of up to a few hundred terms in another order than the cpu backend's loop.
const TOL = 1e-5;

const x = (shape: number[], seed: number) => tf.tensor(randn(tf.util.sizeFromShape(shape), seed), shape);

const CASES: [string, () => tf.Tensor[]][] = [
  ['sum rows of a bias gradient (axis 0)', () => [tf.sum(x([64, 48], 1), 0)]],
  ['sum last axis, keepDims', () => [tf.sum(x([16, 33], 2), -1, true)]],
  ['sum middle block', () => [tf.sum(x([3, 4, 5, 6], 3), [1, 2])]],
  ['sum everything', () => [tf.sum(x([5, 7], 4))]],
  ['sum non-contiguous axes (stock)', () => [tf.sum(x([3, 4, 5], 5), [0, 2])]],
  ['sum int32 (stock)', () => [tf.cast(tf.sum(tf.range(0, 12, 1, 'int32').reshape([3, 4]), 0), 'float32')]],
  ['mean last axis (layer norm)', () => [tf.mean(x([32, 24], 6), -1, true)]],
  ['mean axis 0 and leading block', () => [tf.mean(x([10, 6], 7), 0), tf.mean(x([2, 3, 4], 8), [0, 1])]],
  [
    'gradients of sum and mean',
    () => {
      const w = x([6, 5], 9);
      return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.square(v), 1), tf.sum(v, 1))))(w)];
    },
  ],
];

function agreeWithCpu(label: string): void {
  it.each(CASES)(`${label}: %s`, async (_case, fn) => {
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    expect(wasm.leakedTensors).toBe(0);
    expect(wasm.leakedDataIds).toBe(0);
    for (const [i, v] of wasm.values.entries()) expect(relMaxDiff(v, cpu.values[i]!)).toBeLessThan(TOL);
  });
}

describe('wasm Sum and Mean over contiguous axes agree with cpu', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });
  agreeWithCpu('wasm');
});

const nativeProblem = await Promise.all([loadNativeBlas(), loadNativeKernels()]).then(
  () => undefined,
  (error: Error) => error.message,
);

describe.skipIf(nativeProblem !== undefined)('native (llmedit C kernel) Sum and Mean agree with cpu', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['native'] });
    expect(nativeBlasKernelsInstalled()).toBe(true);
  });
  afterAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });
  agreeWithCpu('native');
});

describe('reductionBlock', () => {
  it('views contiguous axes as [outer, reduce, inner]', () => {
    expect(reductionBlock([2, 3, 4, 5], [1, 2])).toEqual({ outer: 2, reduce: 12, inner: 5, axes: [1, 2] });
    expect(reductionBlock([2, 3], -1)).toEqual({ outer: 2, reduce: 3, inner: 1, axes: [1] });
    expect(reductionBlock([2, 3, 4], [0, 2])).toBeUndefined();
  });
});
