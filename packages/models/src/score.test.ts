import { tf } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, noisyWeights, randomIds, tinyGpt2, tinyLlama, useWasm } from '../test/fixtures.js';
import { padBatch } from './batching.js';
import type { CausalLM } from './causal-lm.js';
import { createModel } from './create.js';
import { scoreIdPairs } from './score.js';

beforeAll(useWasm);

describe.each([
  ['gpt2', tinyGpt2],
  ['llama', tinyLlama],
] as const)('%s teacher-forced scoring', (_name, config) => {
  let model: CausalLM;
  beforeAll(() => {
    model = createModel(config, noisyWeights(config, 3));
  });
  const pairs = [
    { promptIds: randomIds(1, 5, config.vocabSize), targetIds: randomIds(2, 3, config.vocabSize) },
    { promptIds: randomIds(3, 9, config.vocabSize), targetIds: randomIds(4, 1, config.vocabSize) },
    { promptIds: randomIds(5, 2, config.vocabSize), targetIds: randomIds(6, 4, config.vocabSize) },
  ];

  it('equals log-softmax of the full forward at the target positions', () => {
    const scores = scoreIdPairs(model, pairs);
    pairs.forEach((pair, i) => {
      const sequence = [...pair.promptIds, ...pair.targetIds];
      const { logits } = model.forward(padBatch([sequence], 0), { logits: 'all' });
      const logProbs = tf.tidy(() => tf.logSoftmax(logits!)).arraySync() as number[][][];
      logits!.dispose();
      const expected = pair.targetIds.map((id, k) => logProbs[0]![pair.promptIds.length - 1 + k]![id]!);
      const expectedArgmax = pair.targetIds.map((_, k) => {
        const row = logProbs[0]![pair.promptIds.length - 1 + k]!;
        return row.indexOf(Math.max(...row));
      });
      expect(maxAbsDiff(scores[i]!.logProbs, expected)).toBeLessThan(1e-5);
      expect(scores[i]!.argmaxIds).toEqual(expectedArgmax);
      expect(scores[i]!.targetIds).toEqual(pair.targetIds);
    });
  });

  it('does not depend on padding side or batch size, and leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const right = scoreIdPairs(model, pairs, { padding: 'right' });
    const left = scoreIdPairs(model, pairs, { padding: 'left' });
    const oneByOne = scoreIdPairs(model, pairs, { maxBatchTokens: 1 });
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < pairs.length; i++) {
      expect(maxAbsDiff(left[i]!.logProbs, right[i]!.logProbs)).toBeLessThan(1e-5);
      expect(maxAbsDiff(oneByOne[i]!.logProbs, right[i]!.logProbs)).toBeLessThan(1e-5);
      expect(left[i]!.argmaxIds).toEqual(right[i]!.argmaxIds);
    }
  });

  it('rejects an empty prompt or target with a typed error naming the pair', () => {
    expect(() => scoreIdPairs(model, [{ promptIds: [], targetIds: [1] }])).toThrow(/pair 0.*prompt/);
    expect(() => scoreIdPairs(model, [pairs[0]!, { promptIds: [1], targetIds: [] }])).toThrow(
      /pair 1.*target/,
    );
  });
});
