import { type Tensor2D, type Tensor3D, tf } from '@llmedit/core';
import { type CausalLM, padBatch } from '@llmedit/models';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { microModel } from '../test/micro.js';
import { contextTemplates } from './context-templates.js';
import type { FactToken } from './prompts.js';
import { prepareRequests } from './requests.js';
import { optimizeValues, type ValueOptimizationOptions, type ValueRequest } from './target-value.js';

let model: CausalLM;
let requests: ValueRequest[];
let subjectRequests: ValueRequest[];
beforeAll(async () => {
  model = await microModel();
  const templates = contextTemplates(model, [[5, 5]], 0);
  const prepare = (factToken: FactToken) =>
    prepareRequests(
      model,
      [
        { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray', targetNew: 'French' },
        { prompt: 'Joe Walsh, the', subject: 'Joe Walsh', targetNew: 'pianist' },
      ],
      templates,
      factToken,
    ).map((p) => p.value);
  requests = prepare('last');
  subjectRequests = prepare('subject_last');
});

const base: Omit<ValueOptimizationOptions, 'layer' | 'at'> = {
  steps: 8,
  lr: 0.5,
  weightDecay: 0.5,
  clampNormFactor: 4,
  klFactor: 0.0625,
};

/** The rewriting NLL with delta inserted by a hook in a plain full forward, one prompt at a time. */
function naiveNll(
  request: ValueRequest,
  layer: number,
  at: 'mlpOut' | 'residual',
  delta: Float32Array,
): number {
  const point = at === 'mlpOut' ? model.layout.mlpOut(layer) : model.layout.residual(layer);
  let total = 0;
  for (const prompt of request.rewrite) {
    const ids = [...prompt.promptIds, ...prompt.targetIds.slice(0, -1)];
    const value = tf.tidy(() => {
      const add = tf.tensor3d(
        Float32Array.from({ length: ids.length * delta.length }, (_, i) =>
          Math.floor(i / delta.length) === prompt.position ? (delta[i % delta.length] as number) : 0,
        ),
        [1, ids.length, delta.length],
      );
      const positions = prompt.targetIds.map(
        (_, k) => [0, prompt.promptIds.length - 1 + k] as [number, number],
      );
      const { logits } = model.forward(padBatch([ids], 0), {
        hooks: [{ point, replace: (x: Tensor3D) => tf.add(x, add) as Tensor3D }],
        logits: { positions },
      });
      const logProbs = tf.logSoftmax(logits as Tensor2D).arraySync() as number[][];
      return (
        prompt.targetIds.reduce((s, id, k) => s - (logProbs[k]?.[id] as number), 0) / prompt.targetIds.length
      );
    });
    total += value;
  }
  return total / request.rewrite.length;
}

describe('optimizeValues', () => {
  it.each([
    ['mlpOut', 'last'],
    ['residual', 'last'],
    ['mlpOut', 'subject_last'],
    ['residual', 'subject_last'],
  ] as const)(
    'raises the target probability; its loss equals a naive full forward with a hook (%s, %s)',
    (at, fact) => {
      const request = (fact === 'last' ? requests[0] : subjectRequests[0]) as ValueRequest;
      const before = tf.memory().numTensors;
      const [result] = optimizeValues(model, [request], { ...base, layer: 0, at });
      expect(tf.memory().numTensors).toBe(before);
      if (result === undefined) throw new Error('no result');
      expect(result.updates).toBe(7);
      expect(result.finalLoss.targetProbability).toBeGreaterThan(1.5 * result.initialLoss.targetProbability);
      expect(naiveNll(request, 0, at, result.delta)).toBeCloseTo(result.finalLoss.nll, 3);
      expect(naiveNll(request, 0, at, new Float32Array(result.delta.length))).toBeCloseTo(
        result.initialLoss.nll,
        3,
      );
      result.target.forEach((value, j) => {
        expect(value).toBeCloseTo((result.initial[j] as number) + (result.delta[j] as number), 5);
      });
    },
  );

  it('gives each request of a batch the delta it gets alone, and respects the norm clamp', () => {
    const options = { ...base, layer: 0, at: 'mlpOut' as const, clampNormFactor: 0.5 };
    const together = optimizeValues(model, requests, options);
    const alone = requests.map((request) => optimizeValues(model, [request], options)[0]);
    together.forEach((result, i) => {
      const single = alone[i];
      if (single === undefined) throw new Error('no result');
      const norm = (v: Float32Array) => Math.hypot(...v);
      expect(norm(result.delta)).toBeLessThanOrEqual(0.5 * norm(result.initial) * (1 + 1e-5));
      result.delta.forEach((value, j) => {
        expect(value).toBeCloseTo(single.delta[j] as number, 3);
      });
    });
    // Split into one group per request by the token budget: the same again.
    const split = optimizeValues(model, requests, { ...options, maxBatchTokens: 1 });
    split.forEach((result, i) => {
      expect(result.finalLoss.nll).toBeCloseTo(together[i]?.finalLoss.nll as number, 3);
    });
  });

  it('stops a request as soon as its loss is below the threshold', () => {
    const [result] = optimizeValues(model, [requests[0] as ValueRequest], {
      ...base,
      layer: 0,
      at: 'mlpOut',
      lossThreshold: 1e9,
    });
    expect(result?.updates).toBe(0);
    expect(Array.from(result?.delta ?? [1]).every((v) => v === 0)).toBe(true);
  });

  // A failure inside a gradient step is not covered: tfjs keeps the tensors its tape saved for the
  // backward pass when the forward throws, which no caller can free.
  it('frees every tensor (the prefix KV cache too) when the frozen pass fails', () => {
    const failingCall = 2;
    const forward = model.forward.bind(model);
    let calls = 0;
    const spy = vi.spyOn(model, 'forward').mockImplementation((...args) => {
      calls++;
      if (calls === failingCall) throw new Error('forward failed');
      return forward(...args);
    });
    const before = tf.memory().numTensors;
    try {
      expect(() =>
        optimizeValues(model, [subjectRequests[0] as ValueRequest], { ...base, layer: 0, at: 'mlpOut' }),
      ).toThrow('forward failed');
    } finally {
      spy.mockRestore();
    }
    expect(calls).toBe(failingCall);
    expect(tf.memory().numTensors).toBe(before);
  });
});
