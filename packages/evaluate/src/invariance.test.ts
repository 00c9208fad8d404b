import { tf } from '@llmedit/core';
import {
  counterFactToRequest,
  datasetPath,
  loadCounterFactSplit,
  loadMquakeFile,
  loadZsreSplit,
} from '@llmedit/datasets';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameResults } from '../test/compare.js';
import { useWasm } from '../test/toy-model.js';
import { aggregate } from './aggregate.js';
import {
  computePreEdit,
  type EvaluateOptions,
  type EvaluationRequest,
  evaluateRequests,
} from './evaluate.js';
import { evaluateMultiHop } from './mquake.js';

describe('metrics on the micro model do not depend on padding side or batch size', () => {
  let model: CausalLM;
  let requests: EvaluationRequest[];
  const options: EvaluateOptions = {
    suites: ['easyedit', 'counterfact'],
    fluency: { maxLength: 32 },
    generationEntropy: { maxLength: 32, maxPrompts: 2 },
    seed: 5,
  };

  beforeAll(async () => {
    await useWasm();
    model = loadPretrained('micro');
    const counterfact = loadCounterFactSplit('eval')
      .records.slice(0, 5)
      .map((r) => ({ ...counterFactToRequest(r), generationPrompts: r.generationPrompts }));
    requests = [...counterfact, ...loadZsreSplit('eval').requests.slice(0, 5)];
  });

  it('pre-edit values, locality and fluency are batch- and padding-invariant, and leak no tensors', () => {
    const tensors = tf.memory().numTensors;
    const right = computePreEdit(model, requests, { ...options, padding: 'right' });
    const left = computePreEdit(model, requests, {
      ...options,
      padding: 'left',
      maxBatchTokens: 48,
      fluency: { maxLength: 32, maxRows: 1 },
      generationEntropy: { maxLength: 32, maxPrompts: 2, maxRows: 3 },
    });
    expectSameResults(
      right.map((r) => r.result),
      left.map((r) => r.result),
    );
    expect(left.map((r) => r.localityArgmax)).toEqual(right.map((r) => r.localityArgmax));
    const metrics = right[0]!.result.metrics;
    for (const name of ['reliability', 'generalization', 'portability', 'fluency', 'ES', 'PS', 'NS', 'GE']) {
      expect(metrics[name], name).toBeDefined();
    }
    expect(metrics.GE!.count).toBe(2);
    expect(metrics.fluency!.value).toBeGreaterThan(0);

    // Post-edit on the unedited model, with the other padding: locality must be exactly 1 everywhere.
    const post = evaluateRequests(model, requests, {
      ...options,
      pre: right,
      padding: 'left',
      maxBatchTokens: 100,
    });
    for (const r of post) {
      expect(r.metrics.locality!.value, r.id).toBe(1);
      expect(r.metrics.localityExact!.value, r.id).toBe(1);
    }
    expectSameResults(
      post.map(({ id, metrics }) => ({
        id,
        metrics: Object.fromEntries(Object.entries(metrics).filter(([k]) => !k.startsWith('locality'))),
      })),
      right.map((r) => r.result),
    );
    const report = aggregate(post, { seed: 1 });
    // zsRE requests have a ground truth, rephrases and neighborhood probes too, so they get ES, PS and NS.
    expect(report.S!.n).toBe(10);
    expect(report['locality.neighborhood']!.n).toBe(10);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('multi-hop accuracy is batch- and padding-invariant', () => {
    const cases = loadMquakeFile(datasetPath('mquakeHard')).records.slice(0, 3);
    const a = evaluateMultiHop(model, cases, { padding: 'right', answers: 'original' });
    const b = evaluateMultiHop(model, cases, { padding: 'left', maxBatchTokens: 40, answers: 'original' });
    expectSameResults(a, b);
    expect(a[0]!.metrics.multiHopOriginal!.count).toBe(cases[0]!.questions.length);
  });
});
