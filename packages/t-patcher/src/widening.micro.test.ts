import { initBackend, tf } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The models-level widening T-Patcher builds on, checked on the committed micro model.
let model: CausalLM;
beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
  model = loadPretrained('micro');
});
afterAll(() => model.dispose());

function logits(ids: number[]): Uint32Array {
  const { logits: out } = model.forward({ ids: [ids], attentionMask: [ids.map(() => 1)] });
  const data = new Uint32Array((out!.dataSync() as Float32Array).slice().buffer);
  out!.dispose();
  return data;
}

describe('micro model with added FFN neurons', () => {
  it('gives bit-identical logits while the added values are zero, and after removal', () => {
    const ids = model.requireTokenizer().encode('Satyajit Ray speaks the language of');
    const tensors = tf.memory().numTensors;
    const before = logits(ids);
    const d = model.config.hiddenSize;
    const last = model.config.numLayers - 1;
    const keys = tf.randomNormal([4, d], 0, 1, 'float32', 3) as tf.Tensor2D;
    const zero = tf.zeros([4, d]) as tf.Tensor2D;
    const silent = model.addNeurons(last, { keys, values: zero });
    expect(logits(ids)).toEqual(before);
    const loud = model.addNeurons(last, { keys, values: keys });
    expect(logits(ids)).not.toEqual(before);
    model.removeNeurons(loud);
    expect(logits(ids)).toEqual(before);
    model.removeNeurons(silent);
    expect(model.mlpWidth(last)).toBe(model.config.intermediateSize);
    expect(logits(ids)).toEqual(before);
    tf.dispose([keys, zero]);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
