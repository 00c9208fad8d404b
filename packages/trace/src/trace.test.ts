import { InvalidRequestError, initBackend, tf } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenizeWithSubject } from './tokens.js';
import { defaultWindow, embeddingStd, traceFact, windowLayers } from './trace.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('micro');
});

afterAll(() => model.dispose());

const fact = { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray' };

describe('tokenizeWithSubject', () => {
  it('finds the tokens that spell the subject, also in the middle of a prompt', () => {
    const first = tokenizeWithSubject(model, fact.prompt, fact.subject);
    expect(first.subjectStart).toBe(0);
    const subjectText = model
      .requireTokenizer()
      .decode(first.ids.slice(first.subjectStart, first.subjectEnd));
    expect(subjectText).toBe('Satyajit Ray');
    const inner = tokenizeWithSubject(model, 'The mother tongue of Satyajit Ray is', 'Satyajit Ray');
    const innerText = model.requireTokenizer().decode(inner.ids.slice(inner.subjectStart, inner.subjectEnd));
    expect(innerText.trim()).toBe('Satyajit Ray');
    expect(inner.subjectStart).toBeGreaterThan(0);
    expect(inner.subjectEnd).toBeLessThan(inner.ids.length);
    expect(inner.labels.join('')).toBe('The mother tongue of Satyajit Ray is');
  });

  it('names a subject missing from the prompt', () => {
    expect(() => tokenizeWithSubject(model, fact.prompt, 'Ravi Shankar')).toThrow(InvalidRequestError);
    expect(() => tokenizeWithSubject(model, fact.prompt, 'Ravi Shankar')).toThrow(/subject/);
  });
});

describe('windowLayers / defaultWindow', () => {
  it("centres ROME's window on the layer and clips it to the model", () => {
    expect(windowLayers(10, 10, 48)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(windowLayers(1, 10, 48)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(windowLayers(2, 1, 4)).toEqual([2]);
    expect(windowLayers(3, 2, 4)).toEqual([2, 3]);
    expect(defaultWindow(48)).toBe(10);
    expect(defaultWindow(28)).toBe(6);
    expect(defaultWindow(4)).toBe(1);
  });
});

describe('traceFact', () => {
  it('recovers the clean probability everywhere when the noise is zero', () => {
    for (const kind of ['residual', 'mlp', 'attn'] as const) {
      const trace = traceFact(model, { ...fact, kind, noise: 0, samples: 2 });
      expect(trace.corruptedProbability).toBeCloseTo(trace.cleanProbability, 6);
      for (const row of trace.scores) for (const p of row) expect(p).toBeCloseTo(trace.cleanProbability, 6);
    }
  });

  it('with noise: the corrupted run loses the answer, and the last layer at the last token restores it exactly', () => {
    const trace = traceFact(model, { ...fact, samples: 4, seed: 3 });
    expect(trace.answer).toBe(' English');
    expect(trace.cleanProbability).toBeGreaterThan(0.5);
    expect(trace.corruptedProbability).toBeLessThan(trace.cleanProbability - 0.1);
    const last = trace.scores[trace.tokenIds.length - 1]!;
    expect(last[model.config.numLayers - 1]).toBeCloseTo(trace.cleanProbability, 6);
    // Tokens before the subject are never corrupted, so restoring the first subject token at the top layer
    // cannot reach the last position's answer on its own; the grid is neither constant nor out of range.
    const all = trace.scores.flat();
    expect(Math.min(...all)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...all)).toBeLessThanOrEqual(1);
    expect(new Set(all.map((p) => p.toFixed(6))).size).toBeGreaterThan(2);
    expect(trace.scores).toHaveLength(trace.tokens.length);
    expect(trace.noise).toBeCloseTo(3 * embeddingStd(model), 6);
  });

  it('restoring a residual state before the subject changes nothing (it was never corrupted)', () => {
    const trace = traceFact(model, {
      prompt: 'The mother tongue of Satyajit Ray is',
      subject: 'Satyajit Ray',
      samples: 3,
    });
    expect(trace.subjectStart).toBeGreaterThan(0);
    for (let t = 0; t < trace.subjectStart; t++) {
      for (const p of trace.scores[t]!) expect(p).toBeCloseTo(trace.corruptedProbability, 6);
    }
  });

  it('scores a given target, and batching does not change the numbers', () => {
    const one = traceFact(model, { ...fact, target: 'French', kind: 'mlp', samples: 3 });
    const small = traceFact(model, { ...fact, target: 'French', kind: 'mlp', samples: 3, maxBatchTokens: 7 });
    expect(one.answer).toBe(' French');
    for (let t = 0; t < one.scores.length; t++) {
      for (let l = 0; l < model.config.numLayers; l++) {
        expect(small.scores[t]![l]).toBeCloseTo(one.scores[t]![l]!, 6);
      }
    }
    expect(small.corruptedProbability).toBeCloseTo(one.corruptedProbability, 6);
  });

  it('is deterministic under its seed and changes with it', () => {
    const a = traceFact(model, { ...fact, samples: 3, seed: 7 });
    const b = traceFact(model, { ...fact, samples: 3, seed: 7 });
    const c = traceFact(model, { ...fact, samples: 3, seed: 8 });
    expect(b.scores).toEqual(a.scores);
    expect(b.corruptedProbability).toBe(a.corruptedProbability);
    expect(c.corruptedProbability).not.toBe(a.corruptedProbability);
  });

  it('leaks no tensors, also when it throws', () => {
    traceFact(model, { ...fact, samples: 2, kind: 'attn' });
    const before = tf.memory().numTensors;
    traceFact(model, { ...fact, samples: 2, kind: 'attn' });
    embeddingStd(model, ['Satyajit Ray']);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => traceFact(model, { ...fact, target: '' })).toThrow(InvalidRequestError);
    expect(() => traceFact(model, { ...fact, samples: 0 })).toThrow(/samples/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
