import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { loadNativeBlas } from './native-blas.js';
import {
  GELU_TANH_KERNEL,
  hasKernel,
  LAYER_NORM_KERNEL,
  loadNativeKernels,
  otherCpu,
} from './native-kernels.js';
import { randn, relMaxDiff, runOn } from './test-helpers.js';

// The C exp is within about 1 ulp of the true value; the cpu backend's Math.exp rounds once.
const TOL = 1e-6;

// Both libraries are optional: without them the native path keeps the wasm kernels and these tests skip,
// saying why (CI builds the kernels at install and installs OpenBLAS, so there they run).
const problem = await Promise.all([loadNativeBlas(), loadNativeKernels()]).then(
  () => undefined,
  (error: Error) => error.message,
);
if (problem !== undefined) console.warn(`native kernel tests skipped: ${problem}`);

/** The tanh-GELU and its gradient composed from tfjs ops, as the models compute it without the kernel. */
function composedGelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715));
  return tf.mul(x, tf.sigmoid(tf.mul(inner, 2 * Math.sqrt(2 / Math.PI))));
}

/** Layer norm over the last axis composed from tfjs ops, as the models compute it without the kernel. */
function composedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
}

const special = [
  0, -0, 1e-30, -1e-30, 1, -1, 10, -10, 80, -80, 88.7, 88.72, -87.3, 89, -88, -95, -103, -104, 100, -100, 1e4,
  -1e4,
];

describe.skipIf(problem !== undefined)('llmedit native kernels (exp, fused GELU) on the native paths', () => {
  afterAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  for (const backend of ['native', 'native-cpu'] as const) {
    describe(backend, () => {
      const tfBackend = backend === 'native' ? 'wasm' : 'cpu';
      beforeAll(async () => {
        const info = await initBackend({ prefer: [backend] });
        expect(info.nativeKernels).toMatchObject({ library: expect.any(String) });
        expect(hasKernel(GELU_TANH_KERNEL)).toBe(true);
      });

      it('exp agrees with the cpu backend, special values included', async () => {
        const values = Float32Array.from([
          ...randn(4099, 1).map((v) => v * 30),
          ...special,
          Number.NaN,
          Infinity,
          -Infinity,
        ]);
        const fn = () => [
          tf.exp(tf.tensor1d(values)),
          tf.cast(tf.exp(tf.tensor1d([1, 2], 'int32')), 'float32'),
        ];
        const native = await runOn(tfBackend, fn);
        await initBackend({ prefer: [backend] });
        const cpu = await runOn('cpu', fn);
        await initBackend({ prefer: [backend] });
        expect(native.leakedTensors).toBe(0);
        expect(native.leakedDataIds).toBe(0);
        const [got, want] = [native.values[0]!, cpu.values[0]!];
        for (let i = 0; i < want.length; i++) {
          const w = want[i]!;
          if (Number.isNaN(w) || !Number.isFinite(w) || w === 0) expect(got[i], `exp(${values[i]})`).toBe(w);
          // Subnormal results carry fewer bits: a few of their steps (1.4e-45) apart.
          else if (w < 1.18e-38) expect(Math.abs(got[i]! - w), `exp(${values[i]})`).toBeLessThan(6e-45);
          else expect(Math.abs(got[i]! - w) / w, `exp(${values[i]})`).toBeLessThan(TOL);
        }
        expect(relMaxDiff(native.values[1]!, cpu.values[1]!)).toBeLessThan(TOL);
      });

      it('the fused GELU and its gradient agree with the composed ops on cpu', async () => {
        const x = Float32Array.from([...randn(3000, 2).map((v) => v * 4), ...special]);
        const dy = randn(x.length, 3);
        const fused = await runOn(tfBackend, () => {
          const input = tf.tensor2d(x, [1, x.length]);
          const y = tf.engine().runKernel(GELU_TANH_KERNEL, { x: input }) as tf.Tensor;
          const grad = tf.grad(
            (v: tf.Tensor) => tf.engine().runKernel(GELU_TANH_KERNEL, { x: v }) as tf.Tensor,
          )(input, tf.tensor2d(dy, [1, x.length]));
          return [y, grad];
        });
        await initBackend({ prefer: [backend] });
        const composed = await runOn('cpu', () => {
          const input = tf.tensor2d(x, [1, x.length]);
          return [composedGelu(input), tf.grad(composedGelu)(input, tf.tensor2d(dy, [1, x.length]))];
        });
        await initBackend({ prefer: [backend] });
        expect(fused.leakedTensors).toBe(0);
        expect(fused.leakedDataIds).toBe(0);
        expect(relMaxDiff(fused.values[0]!, composed.values[0]!)).toBeLessThan(1e-5);
        expect(relMaxDiff(fused.values[1]!, composed.values[1]!)).toBeLessThan(1e-5);
      });

      it('the fused layer norm and its three gradients agree with the composed ops on cpu', async () => {
        const [rows, d] = [37, 83];
        const x = randn(rows * d, 4).map((v, i) => v * 3 + (i % d === 0 ? 50 : 1));
        const [gamma, beta, dy] = [randn(d, 5), randn(d, 6), randn(rows * d, 7)];
        const run = (norm: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => () => {
          const inputs = [tf.tensor2d(x, [rows, d]), tf.tensor1d(gamma), tf.tensor1d(beta)];
          const { value, grads } = tf.valueAndGrads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            norm(a, g, b),
          )(inputs, tf.tensor2d(dy, [rows, d]));
          return [value, ...grads];
        };
        const fused = await runOn(
          tfBackend,
          run((a, g, b) => {
            const outs = tf
              .engine()
              .runKernel(LAYER_NORM_KERNEL, { x: a, gamma: g, beta: b }, { epsilon: 1e-5 });
            return (outs as tf.Tensor[])[0]!;
          }),
        );
        await initBackend({ prefer: [backend] });
        const composed = await runOn(
          'cpu',
          run((a, g, b) => composedLayerNorm(a, g, b, 1e-5)),
        );
        await initBackend({ prefer: [backend] });
        expect(fused.leakedTensors).toBe(0);
        expect(fused.leakedDataIds).toBe(0);
        for (const [i, name] of ['y', 'dx', 'dgamma', 'dbeta'].entries())
          expect(relMaxDiff(fused.values[i]!, composed.values[i]!), name).toBeLessThan(2e-5);
      });
    });
  }

  it('are gone when the backend changes to plain wasm', async () => {
    await initBackend({ prefer: ['wasm'] });
    expect(hasKernel(GELU_TANH_KERNEL)).toBe(false);
  });
});

describe('otherCpu', () => {
  it('refuses a -march=native build from another CPU model, and accepts the same model or a portable build', () => {
    expect(otherCpu('/lib.so', 'AMD EPYC 9R14', 'Intel Xeon 8375C')).toMatch(
      /built for another CPU \(AMD EPYC 9R14; this one: Intel Xeon 8375C\)/,
    );
    expect(otherCpu('/lib.so', 'AMD EPYC 9R14', 'AMD EPYC 9R14')).toBeUndefined();
    expect(otherCpu('/lib.so', undefined, 'AMD EPYC 9R14')).toBeUndefined();
  });
});
