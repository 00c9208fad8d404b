import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { copyBox } from './copies.js';
import { randn, relMaxDiff, runOn } from './test-helpers.js';

describe('wasm copy kernels (Cast, Slice, SplitV, GatherV2, Concat) agree with cpu', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  const x = (shape: number[], seed: number) => tf.tensor(randn(tf.util.sizeFromShape(shape), seed), shape);

  const cases: [string, () => tf.Tensor[]][] = [
    ['slice 2-D columns', () => [tf.slice(x([7, 9], 1), [2, 3], [4, 5])]],
    ['slice 3-D middle', () => [tf.slice(x([4, 5, 6], 2), [1, 0, 2], [2, 5, 3])]],
    ['slice 4-D trailing whole', () => [tf.slice(x([3, 4, 5, 6], 3), [1, 1, 0, 0], [2, 2, 5, 6])]],
    ['slice 5-D', () => [tf.slice(x([2, 3, 4, 5, 6], 4), [1, 0, 1, 2, 3], [1, 3, 2, 2, 3])]],
    ['slice rank 1 and -1 size', () => [tf.slice(x([10], 5), [3], [-1])]],
    [
      'slice int32',
      () => [tf.cast(tf.slice(tf.range(0, 24, 1, 'int32').reshape([4, 6]), [1, 2], [2, 3]), 'float32')],
    ],
    ['splitV last axis', () => tf.split(x([8, 12], 6), [3, 4, 5], -1)],
    ['splitV middle axis', () => tf.split(x([2, 9, 4], 7), 3, 1)],
    ['gather axis 0 rows', () => [tf.gather(x([10, 6], 8), tf.tensor1d([3, 0, 9, 3], 'int32'))]],
    [
      'gather axis 1, 2-D indices',
      () => [
        tf.gather(
          x([3, 5, 4], 9),
          tf.tensor2d(
            [
              [4, 1],
              [0, 0],
            ],
            [2, 2],
            'int32',
          ),
          1,
        ),
      ],
    ],
    ['gather scalar rows', () => [tf.gather(x([5], 10), tf.tensor1d([4, 2], 'int32'))]],
    [
      'cast float32 to float32 and int32',
      () => {
        const a = x([3, 4], 11);
        return [tf.cast(a, 'float32'), tf.cast(tf.cast(tf.mul(a, 10), 'int32'), 'float32')];
      },
    ],
    [
      'gradients through slice, split and gather',
      () => {
        const w = x([6, 8], 12);
        const g = tf.grad((v: tf.Tensor) => {
          const [p, q] = tf.split(v, [3, 5], 1);
          return tf.sum(tf.mul(tf.gather(p!, tf.tensor1d([5, 1, 1], 'int32')), tf.slice(q!, [0, 1], [3, 3])));
        })(w);
        return [g];
      },
    ],
  ];

  it.each(cases)('%s', async (_label, fn) => {
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    expect(wasm.leakedTensors).toBe(0);
    expect(wasm.leakedDataIds).toBe(0);
    expect(wasm.values.length).toBe(cpu.values.length);
    for (const [i, v] of wasm.values.entries()) expect(relMaxDiff(v, cpu.values[i]!)).toBe(0);
  });

  it('gather rejects an index out of range and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const ids = tf.backend().numDataIds();
    expect(() => tf.tidy(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32')))).toThrow(
      /index value 3/,
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.backend().numDataIds()).toBe(ids);
  });

  it('cast to the same dtype shares the data', () => {
    const a = tf.tensor1d([1, 2, 3]);
    const c = tf.cast(a, 'float32');
    expect(c.dataId).toBe(a.dataId);
    a.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
  });
});

describe('copyBox', () => {
  it('copies a box out of a row-major array', () => {
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const out = new Float32Array(4);
    copyBox(x, [2, 3, 4], [1, 1, 2], [1, 2, 2], out);
    expect(Array.from(out)).toEqual([18, 19, 22, 23]);
  });
});
