import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { randn, relMaxDiff, runOn } from './test-helpers.js';

describe('wasm UnsortedSegmentSum', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  it('sums rows into segments like cpu, dropping out-of-range ids', async () => {
    const xv = randn(7 * 3 * 2, 11);
    const ids = [2, 0, 2, -1, 5, 1, 0];
    const fn = (): tf.Tensor[] => [
      tf.unsortedSegmentSum(tf.tensor3d(xv, [7, 3, 2]), tf.tensor1d(ids, 'int32'), 4),
      tf.unsortedSegmentSum(tf.tensor1d(xv.slice(0, 7)), tf.tensor1d(ids, 'int32'), 3),
      tf.unsortedSegmentSum(
        tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'),
        tf.tensor1d([1, 1, 0], 'int32'),
        2,
      ),
    ];
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    expect(wasm.leakedTensors).toBe(0);
    expect(wasm.leakedDataIds).toBe(0);
    for (const [i, v] of wasm.values.entries())
      expect(relMaxDiff(v, cpu.values[i]!), `output ${i}`).toBeLessThan(1e-6);
    expect(Array.from(wasm.values[2]!)).toEqual([5, 6, 4, 6]);
  });

  it('makes the embedding (gather) gradient work on wasm, equal to cpu', async () => {
    const vocab = 50;
    const d = 16;
    const wte = randn(vocab * d, 21);
    const ids = [3, 7, 3, 49, 0, 7, 7, 12];
    const r = randn(2 * 4 * d, 22);
    const fn = (): tf.Tensor[] => {
      const table = tf.tensor2d(wte, [vocab, d]);
      const idx = tf.tensor2d(ids, [2, 4], 'int32');
      const weights = tf.tensor3d(r, [2, 4, d]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), weights)))(table);
      // A gather along axis 1 takes the transposing branch of the gradient.
      const g1 = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.square(tf.gather(t, tf.tensor1d([1, 5, 1], 'int32'), 1))),
      )(table);
      return [g, g1];
    };
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    expect(wasm.leakedTensors).toBe(0);
    for (const [i, v] of wasm.values.entries())
      expect(relMaxDiff(v, cpu.values[i]!), `grad ${i}`).toBeLessThan(1e-5);
    // Row 7 was gathered three times: its gradient is the sum of the three weight rows.
    const row7 = wasm.values[0]!.slice(7 * d, 8 * d);
    const expected = Array.from({ length: d }, (_, j) => r[1 * d + j]! + r[5 * d + j]! + r[6 * d + j]!);
    for (const [j, x] of row7.entries()) expect(x).toBeCloseTo(expected[j]!, 5);
  });

  it('rejects segment ids that do not index the leading dimensions', () => {
    expect(() =>
      tf.tidy(() => tf.unsortedSegmentSum(tf.zeros([4, 2]), tf.tensor1d([0, 1, 0], 'int32'), 2)),
    ).toThrow(/prefix/);
  });
});
