import { tf } from '@llmedit/core';
import { counterFactToRequest, loadCounterFactSplit } from '@llmedit/datasets';
import { type CausalLM, scoreIdPairs } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../test/toy-model.js';
import { encodePairCached, PairScores, scoreSharedPrompts } from './scoring.js';

describe('shared-prompt scoring', () => {
  let model: CausalLM;
  beforeAll(async () => {
    await useWasm();
    model = loadPretrained('micro');
  });

  it('equals one-sequence teacher-forced scoring, for any padding and chunk size, without leaks', () => {
    const requests = loadCounterFactSplit('eval').records.slice(0, 4).map(counterFactToRequest);
    // Each prompt against two answers (new and true), as in ROME's suite; answers of 1 to several tokens.
    const pairs = requests.flatMap((r) =>
      [r.prompt, ...(r.rephrasePrompts ?? []), r.locality!.neighborhood![0]!.prompt].flatMap((p) => [
        encodePairCached(model, p, r.targetNew),
        encodePairCached(model, p, r.groundTruth!),
      ]),
    );
    expect(Math.max(...pairs.map((p) => p.targetIds.length))).toBeGreaterThan(2);
    const reference = scoreIdPairs(model, pairs);
    const tensors = tf.memory().numTensors;
    for (const options of [
      {},
      { padding: 'left' as const },
      { maxBatchTokens: 30, padding: 'left' as const },
    ]) {
      const shared = scoreSharedPrompts(model, pairs, options);
      shared.forEach((s, i) => {
        expect(s.targetIds).toEqual(reference[i]!.targetIds);
        expect(s.argmaxIds).toEqual(reference[i]!.argmaxIds);
        for (const [k, lp] of s.logProbs.entries()) expect(lp).toBeCloseTo(reference[i]!.logProbs[k]!, 4);
      });
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('scores each distinct pair once and names the record of an empty answer', () => {
    const scores = new PairScores();
    scores.add('The capital of France is', 'Paris', 'r1', 'targetNew');
    scores.add('The capital of France is', 'Paris', 'r2', 'groundTruth');
    expect(scores.size).toBe(1);
    expect(() => scores.add('The capital of France is', ' ', 'r3', 'groundTruth')).toThrow(
      /r3: field 'groundTruth' has an empty answer/,
    );
    scores.run(model);
    expect(scores.get('The capital of France is', 'Paris').targetIds.length).toBeGreaterThan(0);
  });
});
