import { InvalidHparamsError, initBackend, type Tensor2D, type Tensor3D, tf } from '@llmedit/core';
import { type CausalLM, encodeTargetPair } from '@llmedit/models';
import { loadMicroModel } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integratedGradients, integratedGradientsIds } from './attribution.js';
import { coarseNeurons, findKnowledgeNeurons, refineNeurons, type ScoredNeuron } from './neurons.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadMicroModel();
});

afterAll(() => model.dispose());

const prompt = 'Satyajit Ray speaks';

/** P(answer) with layer `layer`'s FFN activations at the last position multiplied by `alpha`. */
function probabilityScaled(layer: number, alpha: number, target = 'English'): number {
  const { promptIds, targetIds } = encodeTargetPair(model, prompt, target);
  const last = promptIds.length - 1;
  const { logits } = model.forward(
    { ids: [promptIds], attentionMask: [promptIds.map(() => 1)] },
    {
      logits: 'last',
      hooks: [
        {
          point: model.layout.mlpKey(layer),
          replace: (x: Tensor3D) => {
            const mask = new Float32Array(promptIds.length).fill(1);
            mask[last] = alpha;
            return tf.mul(x, tf.tensor3d(mask, [1, promptIds.length, 1])) as Tensor3D;
          },
        },
      ],
    },
  );
  const p = tf.tidy(() => tf.softmax(logits as Tensor2D).slice([0, targetIds[0]!], [1, 1]));
  logits?.dispose();
  const value = p.dataSync()[0] as number;
  p.dispose();
  return value;
}

describe('integratedGradients', () => {
  it('is complete: a layer’s scores sum to P(a) - P(0 * a) (Riemann error shrinks with the steps)', () => {
    const fine = integratedGradients(model, prompt, 'English', { steps: 64, batchSize: 64 });
    const coarse = integratedGradients(model, prompt, 'English', { steps: 4, batchSize: 4 });
    for (const [i, layer] of fine.layers.entries()) {
      const expected = probabilityScaled(layer, 1) - probabilityScaled(layer, 0);
      const sum = (scores: Float32Array) => scores.reduce((s, v) => s + v, 0);
      const fineError = Math.abs(sum(fine.scores[i]!) - expected);
      const coarseError = Math.abs(sum(coarse.scores[i]!) - expected);
      expect(Math.abs(expected)).toBeGreaterThan(0.05);
      expect(fineError).toBeLessThan(0.05 * Math.abs(expected));
      expect(fineError).toBeLessThan(coarseError);
    }
    expect(fine.probabilities[0]).toBeCloseTo(probabilityScaled(0, 1), 5);
    expect(fine.scores[0]).toHaveLength(model.layout.mlpKeySize);
    expect(fine.max).toBe(Math.max(...fine.scores.flatMap((s) => [...s])));
  });

  it('does not depend on how the steps are batched, and attributes only the chosen layers', () => {
    const one = integratedGradients(model, prompt, 'English', { steps: 10, batchSize: 10, layers: [1] });
    const split = integratedGradients(model, prompt, 'English', { steps: 10, batchSize: 3, layers: [1] });
    expect(one.layers).toEqual([1]);
    for (let n = 0; n < model.layout.mlpKeySize; n++) {
      expect(split.scores[0]![n]).toBeCloseTo(one.scores[0]![n]!, 6);
    }
  });

  it('averages a multi-token answer over its teacher-forced tokens', () => {
    const pair = encodeTargetPair(model, prompt, 'The Hindu');
    expect(pair.targetIds.length).toBeGreaterThanOrEqual(2);
    const { promptIds } = pair;
    const targetIds = pair.targetIds.slice(0, 2);
    const options = { steps: 5, batchSize: 5, layers: [0] };
    const both = integratedGradientsIds(model, promptIds, targetIds, options);
    const first = integratedGradientsIds(model, promptIds, targetIds.slice(0, 1), options);
    const second = integratedGradientsIds(model, [...promptIds, targetIds[0]!], targetIds.slice(1), options);
    expect(both.probabilities).toEqual([first.probabilities[0], second.probabilities[0]]);
    for (let n = 0; n < model.layout.mlpKeySize; n++) {
      expect(both.scores[0]![n]).toBeCloseTo((first.scores[0]![n]! + second.scores[0]![n]!) / 2, 7);
    }
  });

  it('names bad options and leaks no tensors', () => {
    integratedGradients(model, prompt, 'English', { steps: 2, batchSize: 2 });
    const before = tf.memory().numTensors;
    integratedGradients(model, prompt, 'English', { steps: 3, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(() => integratedGradients(model, prompt, 'English', { steps: 0, batchSize: 2 })).toThrow(
      InvalidHparamsError,
    );
    expect(() =>
      integratedGradients(model, prompt, 'English', { steps: 2, batchSize: 2, layers: [2] }),
    ).toThrow(/layers\[0\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('neuron selection', () => {
  const attribution = {
    layers: [0, 3],
    scores: [Float32Array.from([0.1, 0.5, -1, 0.25]), Float32Array.from([1, 0.2, 0.3, 0])],
    targetIds: [1],
    probabilities: [0.5],
    max: 1,
  };

  it('keeps the neurons above the adaptive threshold over all layers, highest first', () => {
    expect(coarseNeurons(attribution, 0.22)).toEqual([
      { layer: 3, index: 0, score: 1 },
      { layer: 0, index: 1, score: 0.5 },
      { layer: 3, index: 2, score: expect.closeTo(0.3, 6) },
      { layer: 0, index: 3, score: 0.25 },
    ]);
    expect(coarseNeurons({ ...attribution, max: -0.5 }, 0.2)).toEqual([]);
    expect(() => coarseNeurons(attribution, 1.5)).toThrow(/adaptiveThreshold/);
  });

  it('refines to neurons shared by more than p of the prompts', () => {
    const n = (layer: number, index: number, score: number): ScoredNeuron => ({ layer, index, score });
    const sets = [
      [n(0, 1, 0.4), n(1, 2, 0.9)],
      [n(0, 1, 0.2), n(2, 0, 1)],
      [n(0, 1, 0.3), n(1, 2, 0.7)],
    ];
    expect(refineNeurons(sets, 0.5)).toEqual([
      { layer: 1, index: 2, score: expect.closeTo(0.8, 6) },
      { layer: 0, index: 1, score: expect.closeTo(0.3, 6) },
    ]);
    // "More than" p: 2 of 3 prompts is not more than 2/3.
    expect(refineNeurons(sets, 2 / 3)).toEqual([{ layer: 0, index: 1, score: expect.closeTo(0.3, 6) }]);
  });

  it('finds neurons for a fact the model knows, and refines across prompts', () => {
    const options = { steps: 8, batchSize: 8, adaptiveThreshold: 0.2, refine: false, p: 0.4 };
    const single = findKnowledgeNeurons(
      model,
      [prompt, 'Satyajit Ray is a native speaker of'],
      'English',
      options,
    );
    expect(single.coarse).toHaveLength(1);
    expect(single.neurons.length).toBeGreaterThan(0);
    expect(single.neurons.every((x) => x.score > 0.2 * single.maxAttribution[0]!)).toBe(true);
    const refined = findKnowledgeNeurons(model, [prompt, 'Satyajit Ray is a native speaker of'], 'English', {
      ...options,
      refine: true,
      p: 0.5, // more than half of two prompts: both
    });
    expect(refined.coarse).toHaveLength(2);
    const inBoth = refined.coarse[0]!.filter((a) =>
      refined.coarse[1]!.some((b) => b.layer === a.layer && b.index === a.index),
    );
    expect(refined.neurons.map((x) => `${x.layer}:${x.index}`).sort()).toEqual(
      inBoth.map((x) => `${x.layer}:${x.index}`).sort(),
    );
  });
});
