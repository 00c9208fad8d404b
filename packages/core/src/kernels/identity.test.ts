import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { randn, relMaxDiff, runOn } from './test-helpers.js';

describe('wasm Identity shares data by refcount', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  it('clones without allocating, and the clone outlives its source', () => {
    const start = tf.memory();
    const startIds = tf.backend().numDataIds();
    const a = tf.tensor1d([1, 2, 3, 4]);
    const c = tf.clone(a);
    expect(c.dataId).toBe(a.dataId);
    expect(tf.memory().numDataBuffers).toBe(start.numDataBuffers + 1);
    expect(tf.backend().numDataIds()).toBe(startIds + 1);
    expect(tf.memory().numTensors).toBe(start.numTensors + 2);
    a.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
    c.dispose();
    expect(tf.memory().numTensors).toBe(start.numTensors);
    expect(tf.memory().numDataBuffers).toBe(start.numDataBuffers);
    expect(tf.backend().numDataIds()).toBe(startIds);
  });

  it('keeps a clone of a variable intact when the variable is assigned', () => {
    const start = tf.memory().numTensors;
    const startIds = tf.backend().numDataIds();
    const init = tf.tensor1d([1, 2, 3]);
    const v = tf.variable(init);
    init.dispose();
    const c = tf.clone(v);
    tf.tidy(() => v.assign(tf.tensor1d([7, 8, 9])));
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    c.dispose();
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    v.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(tf.backend().numDataIds()).toBe(startIds);
  });

  it('still copies strings', () => {
    const s = tf.tensor1d(['a', 'bc']);
    const c = tf.clone(s);
    s.dispose();
    expect(c.arraySync()).toEqual(['a', 'bc']);
    c.dispose();
  });

  it('gives the same gradients as cpu under the tape (inputs saved by clone), without leaks', async () => {
    const xv = randn(6 * 5, 3);
    const wv = randn(5 * 4, 4);
    const fn = (): tf.Tensor[] => {
      const x = tf.tensor2d(xv, [6, 5]);
      const w = tf.tensor2d(wv, [5, 4]);
      const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.tanh(tf.matMul(tf.square(a), b)));
      const [gx, gw] = tf.grads(f)([x, w]);
      return [gx as tf.Tensor, gw as tf.Tensor];
    };
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    expect(wasm.leakedTensors).toBe(0);
    expect(wasm.leakedDataIds).toBe(0);
    for (const [i, v] of wasm.values.entries()) expect(relMaxDiff(v, cpu.values[i]!)).toBeLessThan(1e-5);
  });

  it('leaves the heap flat across repeated training steps on variables', () => {
    const w = tf.variable(tf.randomNormal([8, 8], 0, 1, 'float32', 1));
    const opt = tf.train.sgd(0.01);
    const x = tf.randomNormal([4, 8], 0, 1, 'float32', 2);
    const step = (): void => {
      opt.minimize(() => tf.sum(tf.square(tf.matMul(x, w))), false)?.dispose();
    };
    step();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    tf.dispose([w, x]);
    opt.dispose();
  });
});
