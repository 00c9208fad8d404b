import { describe, expect, it } from 'vitest';
import { applyUpdateRule, type CodebookEntry, nearest } from './codebook.js';

const v = (...xs: number[]) => Float32Array.from(xs);
const value = v(9, 9);

describe('GRACE codebook update rule (EasyEdit GRACE.py, reference section 4.14)', () => {
  it('inserts into an empty codebook with eps_init', () => {
    const { entries, trained, action } = applyUpdateRule([], v(0, 0), 'Paris', 1, value, 0);
    expect(action).toBe('insert');
    expect(trained).toBe(0);
    expect(entries[0]).toMatchObject({ epsilon: 1, label: 'Paris', editId: 0 });
  });

  const book: CodebookEntry[] = [{ key: v(0, 0), value: v(1, 1), epsilon: 1, label: 'Paris', editId: 0 }];

  it('adds a key for a query beyond eps_init + eps_nearest', () => {
    const rule = applyUpdateRule(book, v(3, 0), 'Rome', 1, value, 1);
    expect(rule.action).toBe('insert');
    expect(rule.entries).toHaveLength(2);
    expect(rule.entries[0]).toBe(book[0]);
  });

  it('splits both radii to d/2 for a near query with another label', () => {
    const rule = applyUpdateRule(book, v(1.5, 0), 'Rome', 1, value, 1);
    expect(rule.action).toBe('split');
    expect(rule.entries.map((e) => e.epsilon)).toEqual([0.75, 0.75]);
    expect(rule.trained).toBe(1);
    expect(book[0]!.epsilon).toBe(1); // the old entries are not mutated (snapshots share them)
  });

  it('expands the nearest radius to d for a same-label query outside it (coverage)', () => {
    const rule = applyUpdateRule(book, v(1.5, 0), 'Paris', 1, value, 1);
    expect(rule.action).toBe('expand');
    expect(rule.entries).toHaveLength(1);
    expect(rule.entries[0]!.epsilon).toBe(1.5);
    expect(rule.trained).toBe(0);
  });

  it('reuses the nearest entry for a same-label query inside its radius', () => {
    const rule = applyUpdateRule(book, v(0.5, 0), 'Paris', 1, value, 1);
    expect(rule.action).toBe('reuse');
    expect(rule.entries).toEqual(book);
  });

  it('finds the nearest key by L2 distance', () => {
    const entries = [...book, { ...book[0]!, key: v(3, 4) }];
    expect(nearest(entries, v(3, 3.5))).toEqual({ index: 1, distance: 0.5 });
    expect(nearest([], v(0, 0))).toBeUndefined();
  });
});
