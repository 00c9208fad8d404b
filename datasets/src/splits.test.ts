import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors.js';
import {
  datasetPath,
  loadCounterFactFile,
  loadCounterFactSplit,
  loadSplit,
  loadZsreFile,
  loadZsreSplit,
  readSplitIds,
} from './node.js';
import { computeSplit, fmix32, fnv1a32, SPLIT_EVAL_SIZE, selectByIds, splitRank } from './splits.js';

const cfIds = loadCounterFactFile(datasetPath('counterfact')).records.map((r) => r.caseId);
const zsreIds = loadZsreFile(datasetPath('zsre')).records.map((r) => r.index);

describe('split rule', () => {
  it('uses standard FNV-1a 32 and the MurmurHash3 finaliser', () => {
    // Published FNV-1a 32-bit test vectors.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).not.toBe(1);
    expect(splitRank('zsre', 5)).toBe(fmix32(fnv1a32('llmedit-split-v1:zsre:5')));
  });

  it('is deterministic, independent of input order, and takes evalSize ids for eval', () => {
    const ids = [5, 1, 9, 3, 7, 2];
    const a = computeSplit('counterfact', ids, 2);
    const b = computeSplit('counterfact', [...ids].reverse(), 2);
    expect(a).toEqual(b);
    expect(a.eval).toHaveLength(2);
    expect([...a.eval, ...a.train].sort((x, y) => x - y)).toEqual([1, 2, 3, 5, 7, 9]);
    expect(() => computeSplit('zsre', [1, 1])).toThrow(DatasetError);
    expect(() => computeSplit('zsre', [1, 2], 3)).toThrow(DatasetError);
  });

  it('selectByIds keeps the order of the ids and refuses unknown ids', () => {
    const recs = [{ id: 1 }, { id: 2 }, { id: 3 }];
    expect(selectByIds(recs, [3, 1], (r) => r.id, 'x')).toEqual([{ id: 3 }, { id: 1 }]);
    expect(() => selectByIds(recs, [4], (r) => r.id, 'x')).toThrow('x: split id 4 is not in the source file');
  });
});

describe.each([
  ['counterfact', cfIds, 731],
  ['zsre', zsreIds, 737],
] as const)('committed %s splits', (dataset, allIds, trainSize) => {
  const evalIds = readSplitIds(dataset, 'eval');
  const trainIds = readSplitIds(dataset, 'train');

  it('have the documented sizes, are disjoint and cover the source file', () => {
    expect(evalIds).toHaveLength(SPLIT_EVAL_SIZE);
    expect(trainIds).toHaveLength(trainSize);
    expect(evalIds.filter((id) => trainIds.includes(id))).toEqual([]);
    expect([...evalIds, ...trainIds].sort((a, b) => a - b)).toEqual([...allIds].sort((a, b) => a - b));
  });

  it('equal what the rule gives on the source file (stable, reproducible by scripts/make-splits.ts)', () => {
    expect(computeSplit(dataset, allIds)).toEqual({ eval: evalIds, train: trainIds });
  });
});

describe('loadSplit', () => {
  it('returns the CounterFact eval EditRequests in split order with their rich records', () => {
    const evalIds = readSplitIds('counterfact', 'eval');
    const requests = loadSplit('counterfact', 'eval');
    expect(requests.map((r) => Number(r.id))).toEqual(evalIds);
    const { records, requests: same } = loadCounterFactSplit('eval');
    expect(same).toEqual(requests);
    expect(records.map((r) => r.caseId)).toEqual(evalIds);
    expect(records.every((r) => r.targetTrue.str !== '' && r.neighborhoodPrompts.length === 10)).toBe(true);
  });

  it('returns the zsRE train split with ids equal to source indices', () => {
    const { records, requests } = loadZsreSplit('train');
    expect(requests).toHaveLength(737);
    expect(requests.map((r) => r.id)).toEqual(records.map((r) => String(r.index)));
    expect(loadSplit('zsre', 'train').map((r) => r.id)).toEqual(readSplitIds('zsre', 'train').map(String));
  });

  it('refuses a dataset without a split', () => {
    expect(() => loadSplit('mquake' as 'zsre', 'eval')).toThrow(DatasetError);
  });
});
