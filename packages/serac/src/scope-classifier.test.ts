import { createRng, InvalidRequestError, initBackend, tf } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TokenFeatures } from './features.js';
import { projectText, type ScopePair, scopeProbability, trainScopeClassifier } from './scope-classifier.js';
import { scopeRates } from './train.js';

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
});

// Toy features of width 12: a one-hot subject among 6 (dims 0-5) and a one-hot relation among 6 (dims 6-11),
// with a little noise. An edit is "subject s, relation r"; a query is in scope when it names the same subject,
// whatever its relation words, and out of scope when it shares only the relation (CounterFact's neighbours).
const WIDTH = 12;
function token(dim: number, rng: ReturnType<typeof createRng>): number[] {
  return Array.from({ length: WIDTH }, (_, i) => (i === dim ? 1 : 0) + 0.05 * rng.normal());
}
function text(tokens: number[][]): TokenFeatures {
  return { tokens: tokens.length, width: WIDTH, data: Float32Array.from(tokens.flat()) };
}
function pairs(subjects: readonly number[], seed: number): ScopePair[] {
  const rng = createRng(seed);
  const out: ScopePair[] = [];
  for (const s of subjects) {
    for (let r = 0; r < 6; r++) {
      const edit = text([token(s, rng), token(6 + r, rng)]);
      const paraphrase = text([token(6 + ((r + 1) % 6), rng), token(s, rng), token(6 + ((r + 3) % 6), rng)]);
      const neighbour = text([token((s + 1 + rng.int(5)) % 6, rng), token(6 + r, rng)]);
      out.push({ edit, query: paraphrase, inScope: true }, { edit, query: neighbour, inScope: false });
    }
  }
  return out;
}

describe('scope classifier', () => {
  it('learns that the subject decides the scope, and the scorer agrees with training', () => {
    const tensors = tf.memory().numTensors;
    const { weights, finalLoss } = trainScopeClassifier(pairs([0, 1, 2, 3, 4, 5], 1), WIDTH, {
      dim: 8,
      epochs: 60,
      learningRate: 0.05,
      batchSize: 16,
      seed: 0,
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(finalLoss).toBeLessThan(0.2);
    const rates = scopeRates(weights, pairs([0, 1, 2, 3, 4, 5], 2), 0.5);
    expect(rates.recall).toBe(1);
    expect(rates.specificity).toBe(1);
  });

  it('scores an identical text as its own best match and an empty text as out of scope', () => {
    const rng = createRng(4);
    const projection = Float32Array.from({ length: WIDTH * 4 }, () => rng.normal());
    const weights = {
      width: WIDTH,
      dim: 4,
      projection,
      importance: new Float32Array(WIDTH),
      importanceBias: 0,
      scale: 10,
      offset: -5,
    };
    const edit = text([token(0, rng), token(7, rng)]);
    const projected = projectText(weights, edit, true);
    expect(scopeProbability(weights, projected, projectText(weights, edit, false))).toBeCloseTo(
      1 / (1 + Math.exp(-5)),
      5,
    );
    expect(scopeProbability(weights, projected, projectText(weights, text([]), false))).toBe(0);
  });

  it('refuses features of another width, naming the field', () => {
    const weights = {
      width: WIDTH,
      dim: 2,
      projection: new Float32Array(WIDTH * 2),
      importance: new Float32Array(WIDTH),
      importanceBias: 0,
      scale: 1,
      offset: 0,
    };
    expect(() => projectText(weights, { tokens: 1, width: 4, data: new Float32Array(4) }, true)).toThrow(
      InvalidRequestError,
    );
    expect(() => projectText(weights, { tokens: 1, width: 4, data: new Float32Array(4) }, true)).toThrow(
      /features.width/,
    );
  });
});
