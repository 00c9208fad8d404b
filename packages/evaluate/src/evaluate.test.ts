import { LlmeditError, tf } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LogitTable, type ToyModel, toyModel, useWasm } from '../test/toy-model.js';
import { aggregate } from './aggregate.js';
import { computePreEdit, type EvaluationRequest, evaluateRequests } from './evaluate.js';
import { evaluateMultiHop } from './mquake.js';
import { ngramEntropy } from './ngram-entropy.js';
import { PreEditCache } from './pre-edit-cache.js';
import { MissingPreEditError } from './protocol.js';

beforeAll(useWasm);

// Before the edit the model answers " t" after "q" and "r"; the edit makes "q" answer " n".
const before: LogitTable = {
  q: { ' t': 2 },
  r: { ' t': 2, ' n': 0.5 },
  ' n': { ' t': 1.5 },
  ' t': { ' t': 1 },
};
const after: LogitTable = { ...before, q: { ' n': 3, ' t': 1 }, ' t': { ' n': 2 } };

const request: EvaluationRequest = {
  id: 'toy',
  prompt: 'q',
  targetNew: 'n',
  groundTruth: 't',
  // Ends with the token "q", so it is a true paraphrase for a bigram model.
  rephrasePrompts: ['s q'],
  locality: {
    neighborhood: [{ prompt: 'r', groundTruth: 't' }],
    // Three ground-truth tokens read after "r", " n", " t": the edit changes the argmax after " t" only,
    // so pre [t, t, t] vs post [t, t, n] agree at 2 of 3 positions (EasyEdit's 66.67 case).
    long: [{ prompt: 'r', groundTruth: 'n t t' }],
  },
  portability: { oneHop: [{ prompt: 'q', groundTruth: 'n t n' }] },
};

describe('EasyEdit protocol and ROME suite on a model with hand-set probabilities', () => {
  let toy: ToyModel;
  beforeAll(() => {
    toy = toyModel(before);
  });

  it('computes exact pre- and post-edit values, and leaks no tensors', () => {
    toy.setTable(before);
    const tensors = tf.memory().numTensors;
    const options = { suites: ['easyedit', 'counterfact'] as const };
    const [pre] = computePreEdit(toy.model, [request], options);
    const preMetrics = pre!.result.metrics;
    expect(preMetrics.reliability!.value).toBe(0);
    expect(preMetrics.ES!.value).toBe(0);
    expect(preMetrics.NS!.value).toBe(1);
    expect(preMetrics.locality).toBeUndefined();
    // Argmax after "r", " n", " t" for the three-token probe.
    expect(pre!.localityArgmax.long).toEqual([[toy.id(' t'), toy.id(' t'), toy.id(' t')]]);

    toy.setTable(after);
    const [post] = evaluateRequests(toy.model, [request], { ...options, pre: [pre!] });
    const m = post!.metrics;
    expect(post!.id).toBe('toy');
    expect(m.reliability).toEqual({ value: 1, tag: 'teacher-forced/token-accuracy', count: 1 });
    expect(m.generalization!.value).toBe(1);
    // " n t n" after "q": the argmax is " n" after "q", " t" after " n" and " n" after " t".
    expect(m.portability!.value).toBe(1);
    expect(m['locality.neighborhood']!.value).toBe(1);
    expect(m['locality.long']!.value).toBeCloseTo(2 / 3, 12);
    expect(m['localityExact.long']!.value).toBe(0);
    expect(m.locality!.value).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(m.locality!.tag).toBe('pre-post/argmax-agreement');

    const pn = toy.probability(after, 'q', ' n');
    const pt = toy.probability(after, 'q', ' t');
    expect(m.ES).toEqual({ value: 1, tag: 'probability/comparison', count: 1 });
    expect(m.EM!.value).toBeCloseTo(pn - pt, 5);
    expect(m.PS!.value).toBe(1);
    expect(m.PM!.value).toBeCloseTo(pn - pt, 5);
    expect(m.NS!.value).toBe(1);
    expect(m.NM!.value).toBeCloseTo(toy.probability(after, 'r', ' t') - toy.probability(after, 'r', ' n'), 5);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('gives partial credit 2 of 3 on a three-token target', () => {
    toy.setTable({ ...after, ' t': { ' t': 2 } });
    const [pre] = computePreEdit(toy.model, [request]);
    // " n t n" after "q": " n" (yes), then " t" after " n" (yes), then " n" after " t" (no: " t").
    expect(pre!.result.metrics['portability.oneHop']!.value).toBeCloseTo(2 / 3, 12);
    expect(pre!.result.metrics.portabilityExact!.value).toBe(0);
  });

  it('needs the pre-edit reference for locality, and rejects one from another request', () => {
    toy.setTable(before);
    const error = (() => {
      try {
        evaluateRequests(toy.model, [request]);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MissingPreEditError);
    expect(LlmeditError.isInstance(error) && error.code).toBe('MISSING_PRE_EDIT');
    const [pre] = computePreEdit(toy.model, [{ ...request, prompt: 'r' }]);
    expect(() => evaluateRequests(toy.model, [request], { pre: [pre!] })).toThrow(/another request/);
    // A request without locality probes needs no reference.
    const { locality: _, ...plain } = request;
    expect(evaluateRequests(toy.model, [plain])[0]!.metrics.reliability!.value).toBe(0);
  });

  it('caches pre-edit values per (model, record): a second call does no forward pass', () => {
    toy.setTable(before);
    const cache = new PreEditCache();
    const first = computePreEdit(toy.model, [request], { cache });
    expect(cache.size).toBe(1);
    const forward = toy.model.forward;
    toy.model.forward = () => {
      throw new Error('forward called');
    };
    try {
      expect(computePreEdit(toy.model, [request], { cache })).toEqual(first);
      // The key is the content, not the id: the same request under another id is served from the cache.
      const [renamed] = computePreEdit(toy.model, [{ ...request, id: 'other' }], { cache });
      expect(renamed!.result).toEqual({ ...first[0]!.result, id: 'other' });
      // The cache also serves as the locality reference after the edit (same model id).
      toy.model.forward = forward;
      toy.setTable(after);
      const [post] = evaluateRequests(toy.model, [request], { pre: cache });
      expect(post!.metrics['locality.long']!.value).toBeCloseTo(2 / 3, 12);
    } finally {
      toy.model.forward = forward;
    }
  });

  it('computes fluency from a seeded top-k sample (hand-checked on a deterministic model)', () => {
    // Every context sends " t" with overwhelming probability: BOS + "q" then 4 new tokens = "q t t t t".
    const peaked: LogitTable = { q: { ' t': 60 }, ' t': { ' t': 60 } };
    toy.setTable(peaked);
    const [pre] = computePreEdit(toy.model, [request], { fluency: { maxLength: 6 } });
    const expected = ngramEntropy('q t t t t');
    expect(expected).toBeCloseTo(
      -(0.25 * Math.log2(0.25) + 0.75 * Math.log2(0.75)) / 3 +
        (-2 * ((1 / 3) * Math.log2(1 / 3) + (2 / 3) * Math.log2(2 / 3))) / 3,
      12,
    );
    expect(pre!.result.metrics.fluency).toEqual({
      value: expected,
      tag: 'generation/ngram-entropy',
      count: 1,
    });
  });

  it('scores MQuAKE cases by answer or alias', () => {
    toy.setTable(after);
    const cases = [
      { caseId: 1, questions: ['r', 'q'], newAnswer: 'x', newAnswerAlias: ['n'], answer: 't' },
      { caseId: 2, questions: ['r'], newAnswer: 'n', answer: 'z', answerAlias: ['t'] },
    ];
    const post = evaluateMultiHop(toy.model, cases);
    expect(post.map((r) => r.metrics.multiHop!.value)).toEqual([1, 0]);
    expect(post[0]!.metrics.multiHopQuestions!.value).toBe(0.5);
    expect(post[0]!.metrics.multiHop!.tag).toBe('teacher-forced/alias-exact-match');
    const original = evaluateMultiHop(toy.model, cases, { answers: 'original' });
    expect(original.map((r) => r.metrics.multiHopOriginal!.value)).toEqual([1, 1]);
    expect(aggregate(post).multiHop!.mean).toBe(0.5);
  });
});
