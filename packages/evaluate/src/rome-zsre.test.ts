import { tf } from '@llmedit/core';
import { loadZsreSplit, zsreToRomeRequest } from '@llmedit/datasets';
import { type CausalLM, scoreIdPairs } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LogitTable, type ToyModel, toyModel, useWasm } from '../test/toy-model.js';
import { aggregate } from './aggregate.js';
import { computePreEdit, type EvaluationRequest, evaluateRequests } from './evaluate.js';
import { PROTOCOL_TAGS } from './protocol.js';
import { pooledAccuracy, romeZsreChecks, romeZsreMetrics, romeZsreRequestChecks } from './rome-zsre.js';
import { encodePairCached, PairScores } from './scoring.js';
import { tokenAccuracy } from './token-metrics.js';

beforeAll(useWasm);

describe("pooledAccuracy (summarize.py: np.mean of a record's list of checks)", () => {
  it('pools every check of a record: [1, 0, 1] -> 2/3, booleans count as 0/1, none -> NaN', () => {
    expect(pooledAccuracy([1, 0, 1])).toBeCloseTo(2 / 3, 12);
    expect(pooledAccuracy([true, false, false, false])).toBe(0.25);
    expect(pooledAccuracy([])).toBeNaN();
  });
});

describe("ROME's zsRE protocol on a model with hand-set next-token logits", () => {
  // Bigram model: the argmax after a text depends only on its last token. "?" and "s" have no row (all
  // logits 0, argmax id 0, never an answer token).
  const before: LogitTable = {
    q: { ' t': 2 },
    r: { ' t': 2 },
    ' n': { ' t': 1.5 },
    ' t': { ' t': 1 },
  };
  // The "edit": "q" now answers " n"; " t" is now followed by " n".
  const after: LogitTable = { ...before, q: { ' n': 3, ' t': 1 }, ' t': { ' n': 2 } };
  const request: EvaluationRequest = {
    id: 'toy',
    prompt: 'q',
    targetNew: 'n t',
    rephrasePrompts: ['s q', 'r'],
    locality: {
      neighborhood: [
        { prompt: 'r', groundTruth: 't t' },
        { prompt: 'r', groundTruth: 'n' },
      ],
    },
  };
  let toy: ToyModel;
  beforeAll(() => {
    toy = toyModel(before);
  });

  it('builds the checks from text: prompt + decoded answer prefix, "?" after the NQ question', () => {
    const checks = romeZsreRequestChecks(toy.model, request, 'toy');
    const n = toy.id(' n');
    const t = toy.id(' t');
    expect(checks.efficacy).toEqual([
      { prompt: 'q', label: n },
      { prompt: 'q n', label: t },
    ]);
    expect(checks.paraphrase).toEqual([
      { prompt: 's q', label: n },
      { prompt: 's q n', label: t },
      { prompt: 'r', label: n },
      { prompt: 'r n', label: t },
    ]);
    expect(checks.specificity).toEqual([
      { prompt: 'r?', label: t },
      { prompt: 'r? t', label: t },
      { prompt: 'r?', label: n },
    ]);
  });

  it('computes the hand-worked values before and after the edit, without leaking tensors', () => {
    const tensors = tf.memory().numTensors;
    toy.setTable(before);
    const [pre] = computePreEdit(toy.model, [request], { suites: ['rome-zsre'] });
    // Efficacy: after "q" the argmax is " t" (miss), after " n" it is " t" (hit): 1/2.
    // Paraphrase: "s q" as "q" (1 of 2), "r" misses " n" and hits " t" after " n" (1 of 2): 2/4.
    // Specificity: after "?" the argmax is id 0 (miss, miss), after " t" it is " t" (hit): pooled 1/3
    // (the mean of per-probe means would be 1/4).
    expect(pre!.result.metrics).toEqual({
      efficacy: { value: 0.5, tag: PROTOCOL_TAGS.pooledTokenAccuracy, count: 2 },
      paraphrase: { value: 0.5, tag: PROTOCOL_TAGS.pooledTokenAccuracy, count: 4 },
      specificity: { value: 1 / 3, tag: PROTOCOL_TAGS.pooledTokenAccuracy, count: 3 },
    });
    toy.setTable(after);
    // No pre-edit reference is needed: specificity is scored against the ground truth.
    const [post] = evaluateRequests(toy.model, [request], { suites: ['rome-zsre'] });
    // Efficacy 2/2; paraphrase "s q" 2/2 and "r" 1/2: 3/4; specificity: " t" is now followed by " n": 0/3.
    expect(post!.metrics.efficacy!.value).toBe(1);
    expect(post!.metrics.paraphrase!.value).toBe(0.75);
    expect(post!.metrics.specificity!.value).toBe(0);
    toy.setTable(before);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('names the record and field of an empty answer', () => {
    const bad = { ...request, locality: { neighborhood: [{ prompt: 'r', groundTruth: ' ' }] } };
    expect(() => romeZsreMetrics(toy.model, [bad], ['rec-7'])).toThrow(
      /rec-7: field 'locality.neighborhood\[0\]' has no ground-truth answer/,
    );
  });
});

describe("ROME's zsRE protocol on the micro model and the shipped zsRE records", () => {
  let model: CausalLM;
  let requests: EvaluationRequest[];
  beforeAll(() => {
    model = loadPretrained('micro');
    requests = loadZsreSplit('eval').records.slice(0, 6).map(zsreToRomeRequest);
  });

  it('edits to answers[0]: the checks score the true answer, and the NQ question gets "?"', () => {
    const record = loadZsreSplit('eval').records[0]!;
    const checks = romeZsreRequestChecks(model, requests[0]!, '0');
    const tokenizer = model.requireTokenizer();
    const answerIds = tokenizer.encode(` ${record.answers[0]}`);
    expect(checks.efficacy.map((c) => c.label)).toEqual(answerIds);
    expect(checks.efficacy.map((c) => c.prompt)).toEqual(
      answerIds.map((_, i) => record.src + tokenizer.decode(answerIds.slice(0, i))),
    );
    expect(checks.specificity[0]!.prompt).toBe(`${record.loc}?`);
    expect(checks.specificity.map((c) => c.label)).toEqual(tokenizer.encode(` ${record.locAns}`));
  });

  it('equals one-sequence scoring of every check, for any padding and chunk size, without leaks', () => {
    const ids = requests.map((r) => r.id!);
    // Independent reference: each check's text scored alone (models' scoreIdPairs), then pooled per record.
    const reference = requests.map((r, i) => {
      const checks = romeZsreRequestChecks(model, r, ids[i]!);
      const values: Record<string, number> = {};
      for (const name of ['efficacy', 'paraphrase', 'specificity'] as const) {
        const hits = checks[name].map((c) => {
          const [score] = scoreIdPairs(model, [
            { promptIds: model.requireTokenizer().encode(c.prompt), targetIds: [c.label] },
          ]);
          return score!.argmaxIds[0] === c.label;
        });
        values[name] = pooledAccuracy(hits);
      }
      return values;
    });
    const tensors = tf.memory().numTensors;
    for (const options of [{}, { padding: 'left' as const, maxBatchTokens: 40 }]) {
      const metrics = romeZsreMetrics(model, requests, ids, options);
      metrics.forEach((m, i) => {
        for (const name of ['efficacy', 'paraphrase', 'specificity'] as const) {
          expect(m[name]!.value).toBe(reference[i]![name]);
          expect(m[name]!.tag).toBe(PROTOCOL_TAGS.pooledTokenAccuracy);
        }
      });
    }
    expect(tf.memory().numTensors).toBe(tensors);
    // Aggregation: the mean over records of the pooled per-record values.
    const report = aggregate(
      romeZsreMetrics(model, requests, ids).map((metrics, i) => ({ id: ids[i]!, metrics })),
      { seed: 1 },
    );
    const mean = reference.reduce((s, r) => s + r.efficacy!, 0) / reference.length;
    expect(report.efficacy!.mean).toBeCloseTo(mean, 12);
  });

  it('equals EasyEdit token accuracy of answers[0] where the check texts re-tokenize to prompt ++ prefix', () => {
    const tokenizer = model.requireTokenizer();
    const scores = new PairScores();
    for (const r of requests) scores.add(r.prompt, r.targetNew, r.id!, 'prompt');
    scores.run(model);
    const metrics = romeZsreMetrics(
      model,
      requests,
      requests.map((r) => r.id!),
    );
    let compared = 0;
    requests.forEach((r, i) => {
      const pair = encodePairCached(model, r.prompt, r.targetNew);
      const aligned = romeZsreChecks(model, r.prompt, r.targetNew).every(
        (c, k) =>
          c.label === pair.targetIds[k] &&
          tokenizer.encode(c.prompt).join(',') ===
            [...pair.promptIds, ...pair.targetIds.slice(0, k)].join(','),
      );
      if (!aligned) return;
      compared++;
      expect(metrics[i]!.efficacy!.value).toBeCloseTo(tokenAccuracy(scores.get(r.prompt, r.targetNew)), 12);
    });
    expect(compared).toBeGreaterThan(0);
  });
});
