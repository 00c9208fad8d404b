import { LlmeditError, tf } from '@llmedit/core';
import { counterFactToRequest, loadCounterFactSplit, loadZsreSplit } from '@llmedit/datasets';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameResults } from '../test/compare.js';
import { useWasm } from '../test/toy-model.js';
import {
  computePreEdit,
  type EvaluateOptions,
  type EvaluationRequest,
  evaluateRequests,
} from './evaluate.js';
import { computePreEditParallel, evaluateRequestsParallel } from './parallel.js';
import { PreEditCache } from './pre-edit-cache.js';

describe('parallel evaluation in worker threads', () => {
  let model: CausalLM;
  let requests: EvaluationRequest[];
  const options: EvaluateOptions = {
    suites: ['easyedit', 'counterfact'],
    fluency: { maxLength: 24 },
    seed: 3,
  };

  beforeAll(async () => {
    await useWasm();
    model = loadPretrained('micro');
    requests = [
      ...loadCounterFactSplit('eval').records.slice(0, 4).map(counterFactToRequest),
      ...loadZsreSplit('eval').requests.slice(0, 4),
    ];
  });

  it('gives the single-thread values (magnitudes to 1e-5), pre and post, and fills the cache', async () => {
    const tensors = tf.memory().numTensors;
    const cache = new PreEditCache();
    const parallel = await computePreEditParallel(model, requests, { ...options, cache, threads: 2 });
    const single = computePreEdit(model, requests, options);
    expectSameResults(
      parallel.map((r) => r.result),
      single.map((r) => r.result),
    );
    expect(parallel.map((r) => r.localityArgmax)).toEqual(single.map((r) => r.localityArgmax));
    expect(cache.size).toBe(requests.length);
    const post = await evaluateRequestsParallel(model, requests, { ...options, pre: cache, threads: 2 });
    expectSameResults(post, evaluateRequests(model, requests, { ...options, pre: parallel }));
    expect(post.every((r) => r.metrics.locality!.value === 1)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it("reports a worker's typed error with its code", async () => {
    const bad = requests.map((r, i) => (i === 7 ? { ...r, targetNew: ' ' } : r));
    const error = await computePreEditParallel(model, bad, { threads: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(LlmeditError.isInstance(error) && error.code).toBe('INVALID_REQUEST');
    expect((error as Error).message).toMatch(/empty answer/);
  });

  it('evaluates a view whose forward is not its weights (an in-context or routing wrapper) in this thread', async () => {
    // A wrapper that reads every input with a different model: workers, which rebuild the model from its
    // weights, would silently evaluate the base model instead.
    const other = loadPretrained('default');
    const view = Object.create(model) as CausalLM;
    Object.defineProperty(view, 'forward', { value: other.forward.bind(other) });
    try {
      const pre = computePreEdit(model, requests, options);
      const parallel = await evaluateRequestsParallel(view, requests, { ...options, pre, threads: 2 });
      expectSameResults(parallel, evaluateRequests(view, requests, { ...options, pre }));
      expect(parallel.some((r) => r.metrics.locality!.value < 1)).toBe(true);
    } finally {
      other.dispose();
    }
  });
});
