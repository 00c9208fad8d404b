import {
  hasKernel,
  initBackend,
  loadNativeBlas,
  loadNativeKernels,
  SOFTMAX_CROSS_ENTROPY_KERNEL,
  tf,
} from '@llmedit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { pickedTokenNll } from './token-nll.js';

function logitsOf(rows: number, vocab: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: rows * vocab }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648 - 0.5) * 12;
  });
}

/** Loss value and logits gradient of mean(pickedTokenNll) on the current backend. */
function lossAndGrad(data: Float32Array, shape: [number, number], rows: number[], labels: number[]) {
  const before = tf.memory().numTensors;
  const logits = tf.tensor2d(data, shape);
  const { value, grad } = tf.valueAndGrad((z: tf.Tensor) =>
    tf.mean(pickedTokenNll(z as tf.Tensor2D, rows, labels)),
  )(logits);
  const out = { value: value.dataSync()[0]!, grad: grad.dataSync().slice() };
  tf.dispose([logits, value, grad]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

const nativeProblem = await Promise.all([loadNativeBlas(), loadNativeKernels()]).then(
  () => undefined,
  (error: Error) => error.message,
);

describe('pickedTokenNll', () => {
  afterAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  it('is -log softmax of the chosen token (cpu, against a direct computation)', async () => {
    await initBackend({ prefer: ['cpu'] });
    const nll = pickedTokenNll(
      tf.tensor2d([
        [0, Math.log(3)],
        [1, 1],
      ]),
      [0, 1, 0],
      [1, 0, 0],
    );
    const got = Array.from(nll.dataSync());
    nll.dispose();
    for (const [i, want] of [Math.log(4 / 3), Math.log(2), Math.log(4)].entries())
      expect(got[i]).toBeCloseTo(want, 6);
  });

  it('rejects rows and labels out of range, naming them', async () => {
    await initBackend({ prefer: ['cpu'] });
    const z = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => pickedTokenNll(z, [2], [0])).toThrow(/rows\[0\] = 2/);
    expect(() => pickedTokenNll(z, [0, 1], [1, 3])).toThrow(/labels\[1\] = 3/);
    expect(() => pickedTokenNll(z, [0], [])).toThrow(/1 rows but 0 labels/);
    z.dispose();
  });

  describe.skipIf(nativeProblem !== undefined)('native fused kernel', () => {
    for (const backend of ['native', 'native-cpu'] as const) {
      it(`${backend}: value and gradient agree with the log-softmax on cpu (duplicates and unscored rows too)`, async () => {
        const shape: [number, number] = [9, 517];
        const data = logitsOf(shape[0], shape[1], 7);
        data[5] = 80; // a large logit: the max subtraction matters
        const rows = [0, 1, 3, 3, 4, 8, 8, 5];
        const labels = [5, 0, 516, 516, 17, 3, 3, 250];
        await initBackend({ prefer: [backend] });
        expect(hasKernel(SOFTMAX_CROSS_ENTROPY_KERNEL)).toBe(true);
        const fused = lossAndGrad(data, shape, rows, labels);
        // A row asked for two different labels takes the log-softmax path on the same backend.
        const conflicting = lossAndGrad(data, shape, [2, 2], [1, 2]);
        await initBackend({ prefer: ['cpu'] });
        const plain = lossAndGrad(data, shape, rows, labels);
        const plainConflicting = lossAndGrad(data, shape, [2, 2], [1, 2]);
        expect(Math.abs(fused.value - plain.value)).toBeLessThan(1e-5 * Math.abs(plain.value));
        let diff = 0;
        for (let i = 0; i < plain.grad.length; i++)
          diff = Math.max(diff, Math.abs(fused.grad[i]! - plain.grad[i]!));
        expect(diff).toBeLessThan(1e-6);
        expect(conflicting.value).toBeCloseTo(plainConflicting.value, 5);
      });
    }
  });
});
