import { InvalidHparamsError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { Bm25Index, terms } from './bm25.js';

describe('terms', () => {
  it('lower-cases letter and digit runs, keeping non-ASCII letters', () => {
    expect(terms('New Fact: Franz Welser-Möst, 1960\nPrompt:')).toEqual([
      'new',
      'fact',
      'franz',
      'welser',
      'möst',
      '1960',
      'prompt',
    ]);
    expect(terms('?! ...')).toEqual([]);
  });
});

describe('Bm25Index', () => {
  const docs = ['the cat sat on the mat', 'the dog sat', 'a cat and a cat', ''];
  const index = new Bm25Index(docs);

  it('computes the Robertson-Sparck Jones idf with the +1 inside the log', () => {
    // 'cat' is in 2 of 4 documents: ln(1 + (4 - 2 + 0.5) / (2 + 0.5)) = ln 2.
    expect(index.idf('cat')).toBeCloseTo(Math.log(2), 12);
    expect(index.idf('unicorn')).toBe(0);
  });

  it('scores by the BM25 formula (k1 = 1.2, b = 0.75)', () => {
    const avgdl = (6 + 3 + 5 + 0) / 4;
    const term = (tf: number, dl: number, idf: number) =>
      (idf * tf * 2.2) / (tf + 1.2 * (1 - 0.75 + (0.75 * dl) / avgdl));
    const scores = index.scores('cat');
    expect(scores[0]).toBeCloseTo(term(1, 6, Math.log(2)), 12);
    expect(scores[1]).toBe(0);
    expect(scores[2]).toBeCloseTo(term(2, 5, Math.log(2)), 12);
    expect(scores[3]).toBe(0);
  });

  it('ranks most similar first with ties broken by index, and fills k with non-matching documents', () => {
    const hits = index.search('cat mat', 4);
    expect(hits.map((h) => h.index)).toEqual([0, 2, 1, 3]);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(index.search('cat', 0)).toEqual([]);
    expect(index.size).toBe(4);
  });

  it('rejects invalid parameters with the hyperparameter name', () => {
    expect(() => new Bm25Index(docs, { b: 2 })).toThrow(InvalidHparamsError);
    expect(() => new Bm25Index(docs, { k1: -1 })).toThrow(/bm25K1/);
  });

  it('handles an empty corpus', () => {
    expect(new Bm25Index([]).search('anything', 3)).toEqual([]);
  });
});
