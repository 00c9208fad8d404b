import { initBackend, type Tensor, tf } from '@llmedit/core';
import { loadMicroModel, MICRO_REQUEST } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editFactors, requestExample, summedTargetNll, targetBatch } from './factors.js';

/** A scalar's value, its tensors freed. */
function read(compute: () => Tensor): number {
  const t = tf.tidy(compute);
  const value = t.dataSync()[0]!;
  t.dispose();
  return value;
}

describe('editFactors', () => {
  let model: ReturnType<typeof loadMicroModel>;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = loadMicroModel();
  });
  afterAll(() => model.dispose());

  it("gives factors whose product xᵀδ is the edit loss's gradient of the MLP output projection", () => {
    const other = {
      ...MICRO_REQUEST,
      prompt: 'Vostok Station is located in the continent',
      targetNew: 'Europe',
    };
    const examples = [MICRO_REQUEST, other].map((r) => requestExample(model, r, 24));
    const before = tf.memory().numTensors;
    const factors = editFactors(model, examples, [0, 1]);
    const tokens = examples.reduce((s, e) => s + e.promptIds.length + e.targetIds.length - 1, 0);
    for (const f of factors) {
      expect(f.x.shape).toEqual([tokens, model.layout.mlpKeySize]);
      expect(f.delta.shape).toEqual([tokens, model.layout.hiddenSize]);
      const name = model.layout.mlpOutProjection(f.layer).name;
      const weight = model.weight(name);
      const { value, grads } = tf.variableGrads(
        () => summedTargetNll(model, targetBatch(model, examples)) as never,
        [weight],
      );
      const fromFactors = tf.matMul(f.x, f.delta, true, false);
      const expected = grads[weight.name]!;
      const scale = read(() => tf.max(tf.abs(expected)));
      const diff = read(() => tf.max(tf.abs(tf.sub(fromFactors, expected))));
      expect(scale).toBeGreaterThan(0);
      expect(diff / scale).toBeLessThan(1e-4);
      tf.dispose([fromFactors, expected, value]);
    }
    for (const f of factors) tf.dispose([f.x, f.delta]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
