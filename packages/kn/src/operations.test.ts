import { InvalidRequestError, initBackend, type Tensor3D, tf } from '@llmedit/core';
import { type CausalLM, createRandomModel, type Hook, type LlamaConfig } from '@llmedit/models';
import { differingWeights, loadMicroModel, promptIds, weightBytes } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Neuron } from './neurons.js';
import {
  amplifyNeurons,
  eraseNeurons,
  neuronHooks,
  rewriteNeurons,
  suppressNeurons,
  targetProbability,
  tokenEmbeddingName,
} from './operations.js';

let micro: CausalLM;
let llama: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  micro = loadMicroModel();
  const config: LlamaConfig = {
    architecture: 'llama',
    vocabSize: micro.config.vocabSize,
    maxPositions: 64,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 2,
    numKeyValueHeads: 1,
    headDim: 8,
    intermediateSize: 24,
    rmsNormEpsilon: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
  };
  llama = createRandomModel(config, { seed: 3, tokenizer: micro.requireTokenizer() });
});

afterAll(() => {
  micro.dispose();
  llama.dispose();
});

const prompt = 'Satyajit Ray speaks';

/** Activations at one hook point for the prompt, [tokens, width] as nested arrays. */
function activations(
  model: CausalLM,
  key: 'mlpKey' | 'mlpOut',
  layer: number,
  hooks: Hook[] = [],
): number[][] {
  const ids = promptIds(model, prompt);
  const point = key === 'mlpKey' ? model.layout.mlpKey(layer) : model.layout.mlpOut(layer);
  const { logits, captured } = model.forward(
    { ids: [ids], attentionMask: [ids.map(() => 1)] },
    { logits: 'none', hooks: [...hooks, { point, capture: true }] },
  );
  logits?.dispose();
  const out = (captured[point.key] as Tensor3D).arraySync()[0]!;
  for (const t of Object.values(captured)) t.dispose();
  return out;
}

function embedding(model: CausalLM, id: number): number[] {
  const row = tf.tidy(() => model.weight(tokenEmbeddingName(model)).slice([id, 0], [1, -1]));
  const values = Array.from(row.dataSync());
  row.dispose();
  return values;
}

describe('neuronHooks', () => {
  it("scales only the chosen neurons' activations, at every position", () => {
    const neurons: Neuron[] = [
      { layer: 1, index: 3 },
      { layer: 1, index: 40 },
    ];
    const plain = activations(micro, 'mlpKey', 1);
    const doubled = activations(micro, 'mlpKey', 1, amplifyNeurons(micro, neurons));
    const zeroed = activations(micro, 'mlpKey', 1, suppressNeurons(micro, neurons));
    const tripled = activations(micro, 'mlpKey', 1, neuronHooks(micro, neurons, 3));
    plain.forEach((row, t) => {
      row.forEach((v, n) => {
        const chosen = n === 3 || n === 40;
        expect(doubled[t]![n]).toBe(chosen ? 2 * v : v);
        expect(zeroed[t]![n]! + 0).toBe(chosen ? 0 : v); // + 0: -0 (a negative activation times 0) is 0
        expect(tripled[t]![n]).toBeCloseTo(chosen ? 3 * v : v, 6);
      });
    });
    expect(() => neuronHooks(micro, [{ layer: 2, index: 0 }], 2)).toThrow(InvalidRequestError);
    expect(() => neuronHooks(micro, [{ layer: 0, index: 128 }], 2)).toThrow(/index/);
  });
});

describe('eraseNeurons', () => {
  it('zeroes the value slots of the neurons (rows for GPT-2, columns for LLaMA) and suppression matches it', () => {
    for (const model of [micro, llama]) {
      const neurons: Neuron[] = [
        { layer: 0, index: 5 },
        { layer: 0, index: 7 },
        { layer: 1, index: 2 },
      ];
      const before = weightBytes(model);
      const suppressed = targetProbability(model, prompt, 'English', suppressNeurons(model, neurons));
      const patch = eraseNeurons(model, neurons);
      for (const layer of [0, 1]) {
        const { name, orientation } = model.layout.mlpOutProjection(layer);
        const w = model.weight(name).arraySync() as number[][];
        const slots = layer === 0 ? [5, 7] : [2];
        const slot = (i: number) => (orientation === 'in-out' ? w[i]! : w.map((row) => row[i]!));
        for (const i of slots) expect(slot(i).every((v) => v === 0)).toBe(true);
        expect(slot(slots[0]! + 1).some((v) => v !== 0)).toBe(true);
      }
      expect(differingWeights(before, weightBytes(model)).sort()).toEqual(
        [model.layout.mlpOutProjection(0).name, model.layout.mlpOutProjection(1).name].sort(),
      );
      // Zero activation and zero value slot write the same nothing into the residual stream.
      expect(targetProbability(model, prompt, 'English')).toBeCloseTo(suppressed, 5);
      patch.restore();
      expect(differingWeights(before, weightBytes(model))).toEqual([]);
      patch.dispose();
    }
  });
});

describe('rewriteNeurons', () => {
  it("moves each neuron's value slot by scale * (target embedding sum - original embedding)", () => {
    for (const model of [micro, llama]) {
      const layer = 1;
      const neurons: Neuron[] = [
        { layer, index: 4 },
        { layer, index: 9 },
      ];
      const keys = activations(model, 'mlpKey', layer);
      const outBefore = activations(model, 'mlpOut', layer);
      const [from, to1, to2] = [11, 20, 33];
      const patch = rewriteNeurons(model, neurons, { fromIds: [from], toIds: [to1, to2], scale: 2 });
      const outAfter = activations(model, 'mlpOut', layer);
      const eFrom = embedding(model, from);
      const eTo = embedding(model, to1).map((v, d) => v + embedding(model, to2)[d]!);
      // The MLP output changes at every position t by sum over neurons of key[t][n] * 2 * (eTo - eFrom).
      outBefore.forEach((row, t) => {
        const weight = keys[t]![4]! + keys[t]![9]!;
        row.forEach((v, d) => {
          expect(outAfter[t]![d]).toBeCloseTo(v + weight * 2 * (eTo[d]! - eFrom[d]!), 4);
        });
      });
      const { name } = model.layout.mlpOutProjection(layer);
      expect([...patch.deltas.keys()]).toEqual([name]);
      patch.restore();
      patch.dispose();
      expect(() => patch.restore()).toThrow(/dispose/);
    }
  });

  it('leaks no tensors and refuses empty token lists', () => {
    const neurons = [{ layer: 0, index: 1 }];
    const warm = rewriteNeurons(micro, neurons, { fromIds: [1], toIds: [2], scale: 2 });
    warm.restore();
    warm.dispose();
    const before = tf.memory().numTensors;
    const patch = rewriteNeurons(micro, neurons, { fromIds: [1], toIds: [2], scale: 2 });
    patch.restore();
    patch.dispose();
    const erase = eraseNeurons(micro, neurons);
    erase.restore();
    erase.dispose();
    targetProbability(micro, prompt, 'English', amplifyNeurons(micro, neurons));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => rewriteNeurons(micro, neurons, { fromIds: [], toIds: [2], scale: 2 })).toThrow(/fromIds/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
