import { InvalidHparamsError } from '@llmedit/core';
import { loadCounterFactSplit, readSplitIds } from '@llmedit/datasets';
import { describe, expect, it } from 'vitest';
import { formatIkeQuery } from '../corpus/ike-format.js';
import { loadCorpusSources } from '../corpus/sources.js';
import { buildKnowledgeProbes, PROBE_SETS } from './knowledge-probes.js';

describe('buildKnowledgeProbes', () => {
  const sources = loadCorpusSources();
  const probes = buildKnowledgeProbes({ sources });
  const cfEval = new Set(readSplitIds('counterfact', 'eval').map(String));
  const zsreEval = new Set(readSplitIds('zsre', 'eval').map(String));

  it('builds every set, non-empty, from the evaluation split only', () => {
    for (const name of PROBE_SETS) {
      const set = probes[name];
      expect(set.length, name).toBeGreaterThan(0);
      const ids = name === 'zsre' || name === 'nq' ? zsreEval : cfEval;
      for (const p of set) {
        expect(ids.has(p.id), `${name} ${p.id}`).toBe(true);
        expect(p.prompt.length).toBeGreaterThan(0);
        expect(p.target.length).toBeGreaterThan(0);
        expect(p.target).toBe(p.target.trim());
      }
    }
    expect(probes.rewrite).toHaveLength(300);
    expect(probes.neighborhood).toHaveLength(3000);
    expect(probes.paraphrase).toHaveLength(600);
    expect(probes.paraphraseNoPrefix).toHaveLength(600);
    expect(probes.zsre).toHaveLength(300);
    expect(probes.inContext).toHaveLength(300);
  });

  it('pairs CounterFact prompts with the true object and strips paraphrase prefixes', () => {
    const first = loadCounterFactSplit('eval').records[0];
    if (first === undefined) throw new Error('empty eval split');
    expect(probes.rewrite[0]).toEqual({
      prompt: first.prompt,
      target: first.targetTrue.str,
      id: String(first.caseId),
    });
    probes.paraphrase.forEach((p, i) => {
      const bare = probes.paraphraseNoPrefix[i];
      expect(bare?.id).toBe(p.id);
      expect(p.prompt.endsWith(bare?.prompt ?? '\u0000')).toBe(true);
      expect(bare?.prompt.length).toBeLessThan(p.prompt.length);
    });
  });

  it('interleaves records so that a limit spreads over many of them', () => {
    const small = buildKnowledgeProbes({ sources, limit: 50 });
    for (const name of PROBE_SETS) expect(small[name].length).toBeLessThanOrEqual(50);
    expect(small.neighborhood).toHaveLength(50);
    expect(new Set(small.neighborhood.map((p) => p.id)).size).toBe(50);
    expect(small.rewrite).toEqual(probes.rewrite.slice(0, 50));
  });

  it('formats the in-context test as k training demonstrations then the IKE query', () => {
    const train = loadCounterFactSplit('train').records;
    const trainFacts = new Set(train.map((r) => `${r.prompt} ${r.targetNew.str}`));
    const records = new Map(loadCounterFactSplit('eval').records.map((r) => [String(r.caseId), r]));
    for (const p of probes.inContext) {
      const rec = records.get(p.id);
      if (rec === undefined) throw new Error(`unknown id ${p.id}`);
      expect(p.target).toBe(rec.targetNew.str);
      const query = formatIkeQuery({ prompt: rec.prompt, target: rec.targetNew.str }, rec.prompt);
      expect(p.prompt.endsWith(`\n\n${query}`)).toBe(true);
      const parts = p.prompt.split(/\n\n(?=New Fact: )/);
      expect(parts).toHaveLength(4);
      for (const demo of parts.slice(0, 3)) {
        const fact = /^New Fact: (.*)\nPrompt: /s.exec(demo)?.[1] ?? '';
        expect(trainFacts.has(fact), demo).toBe(true);
      }
    }
    const again = buildKnowledgeProbes({ sources, seed: 0, limit: 10 });
    expect(again.inContext).toEqual(probes.inContext.slice(0, 10));
    const otherSeed = buildKnowledgeProbes({ sources, seed: 1, limit: 10 });
    expect(otherSeed.inContext).not.toEqual(again.inContext);
    const k1 = buildKnowledgeProbes({ sources, inContextDemos: 1, limit: 5 });
    for (const p of k1.inContext) expect(p.prompt.split(/\n\n(?=New Fact: )/)).toHaveLength(2);
  });

  it('rejects invalid options', () => {
    expect(() => buildKnowledgeProbes({ sources, limit: -1 })).toThrow(InvalidHparamsError);
    expect(() => buildKnowledgeProbes({ sources, inContextDemos: 1.5 })).toThrow(InvalidHparamsError);
  });
});
