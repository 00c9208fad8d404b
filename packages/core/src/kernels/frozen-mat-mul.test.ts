import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { ShapeMismatchError } from '../errors/index.js';
import { tf } from '../tf.js';
import { frozenMatMul } from './frozen-mat-mul.js';
import { randn, relMaxDiff, runOn } from './test-helpers.js';

describe('frozenMatMul', () => {
  const xv = randn(17 * 64, 31);
  const wv = randn(64 * 129, 32);
  const rv = randn(17 * 129, 33);

  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  const compute = (frozen: boolean) => (): tf.Tensor[] => {
    const x = tf.tensor2d(xv, [17, 64]);
    const w = tf.tensor2d(wv, [64, 129]);
    const wT = tf.transpose(w);
    const r = tf.tensor2d(rv, [17, 129]);
    const f = (a: tf.Tensor): tf.Tensor =>
      frozen ? frozenMatMul(a as tf.Tensor2D, w, wT) : tf.matMul(a as tf.Tensor2D, w);
    return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
  };

  it.each(['wasm', 'cpu'] as const)('equals x·w and its x-gradient on %s', async (backend) => {
    const frozen = await runOn(backend, compute(true));
    const plain = await runOn('cpu', compute(false));
    expect(frozen.leakedTensors).toBe(0);
    expect(frozen.leakedDataIds).toBe(0);
    for (const [i, v] of frozen.values.entries()) {
      expect(relMaxDiff(v, plain.values[i]!), `output ${i}`).toBeLessThan(1e-4);
    }
  });

  it('gives no gradient to the weight, even a trainable variable', async () => {
    await tf.setBackend('wasm');
    const w = tf.variable(tf.tensor2d(wv, [64, 129]), true, 'frozen-test-w');
    const wT = tf.transpose(w);
    const v = tf.variable(tf.tensor2d(xv, [17, 64]), true, 'frozen-test-x');
    const { value, grads } = tf.variableGrads(() => tf.sum(frozenMatMul(v, w, wT)));
    expect(Object.keys(grads)).toEqual(['frozen-test-x']);
    // d/dx sum(x·w) = 1·wᵀ: each row is the row sums of w.
    const rowSums = tf.sum(w, 1);
    expect(
      relMaxDiff(
        grads['frozen-test-x']!.dataSync() as Float32Array,
        tf.tile(rowSums.reshape([1, 64]), [17, 1]).dataSync() as Float32Array,
      ),
    ).toBeLessThan(1e-5);
    tf.dispose([value, rowSums, wT, w, v, ...Object.values(grads)]);
  });

  it('checks shapes', () => {
    tf.tidy(() => {
      const x = tf.zeros([3, 4]) as tf.Tensor2D;
      const w = tf.zeros([4, 5]) as tf.Tensor2D;
      expect(() => frozenMatMul(x, w, tf.zeros([4, 5]) as tf.Tensor2D)).toThrow(ShapeMismatchError);
      expect(() => frozenMatMul(x, tf.zeros([5, 5]) as tf.Tensor2D, tf.zeros([5, 5]) as tf.Tensor2D)).toThrow(
        ShapeMismatchError,
      );
    });
  });
});
