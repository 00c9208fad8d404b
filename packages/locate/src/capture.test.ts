import { type Tensor, tf } from '@llmedit/core';
import { type CausalLM, padBatch } from '@llmedit/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { microModel } from '../test/micro.js';
import { captureAt, meanRows } from './capture.js';

let model: CausalLM;
beforeAll(async () => {
  model = await microModel();
});

describe('captureAt', () => {
  it('returns the activations of a full forward at the located positions, in any chunking', () => {
    const tokenizer = model.requireTokenizer();
    const prompts = ['Satyajit Ray speaks', 'The Eiffel Tower is in', 'Joe Walsh, the'].map((text, i) => {
      const ids = tokenizer.encode(text);
      return { ids, position: Math.max(0, ids.length - 1 - i) };
    });
    const points = [model.layout.mlpKey(0), model.layout.residual(1)];
    const before = tf.memory().numTensors;
    const together = captureAt(model, prompts, points);
    const oneByOne = captureAt(model, prompts, points, { maxBatchTokens: 1 });
    expect(tf.memory().numTensors).toBe(before);
    prompts.forEach((prompt, i) => {
      const { captured } = model.forward(padBatch([prompt.ids], 0), {
        logits: 'none',
        hooks: points.map((point) => ({ point, capture: true })),
      });
      for (const point of points) {
        const full = (captured[point.key] as Tensor).arraySync() as number[][][];
        const expected = full[0]?.[prompt.position] as number[];
        const got = Array.from(
          (together.get(point.key) as Float32Array).subarray(i * point.width, (i + 1) * point.width),
        );
        const alone = Array.from(
          (oneByOne.get(point.key) as Float32Array).subarray(i * point.width, (i + 1) * point.width),
        );
        got.forEach((value, j) => {
          expect(value).toBeCloseTo(expected[j] as number, 5);
          expect(alone[j]).toBeCloseTo(expected[j] as number, 5);
        });
      }
      tf.dispose(Object.values(captured));
    });
    expect(() => captureAt(model, [{ ids: [1, 2], position: 2 }], points)).toThrow(/position/);
  });

  it('averages rows in float64', () => {
    const values = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(meanRows(values, 2, [0, 2]))).toEqual([3, 4]);
  });
});
