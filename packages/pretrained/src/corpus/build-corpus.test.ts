import { InvalidHparamsError } from '@llmedit/core';
import { loadCounterFactSplit, loadZsreSplit } from '@llmedit/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, type Corpus } from './build-corpus.js';
import { createHeldOutChecker, findHeldOutHits } from './held-out.js';
import { collectHeldOutStrings } from './held-out-set.js';
import { loadCorpusSources } from './sources.js';
import { poolRelationTemplates } from './templates.js';

/** Whitespace-normalised, as the held-out rule is stated. */
const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * The held-out strings, rebuilt here straight from the data package (not from the builder's own list), as
 * the rule states them: evaluation-split paraphrase/rephrase prompts, portability questions, and the
 * target_new statements of the rewrite prompt and of every paraphrase.
 */
function heldOutFromRecords(): string[] {
  const out = new Set<string>();
  for (const r of loadCounterFactSplit('eval').records) {
    out.add(`${r.prompt} ${r.targetNew.str}`);
    for (const p of r.paraphrasePrompts) {
      out.add(p);
      out.add(`${p} ${r.targetNew.str}`);
    }
    if (r.portability !== undefined) out.add(r.portability.question);
  }
  for (const r of loadZsreSplit('eval').records) {
    out.add(r.rephrase);
    out.add(`${r.src} ${r.alt}`);
    out.add(`${r.rephrase} ${r.alt}`);
    if (r.portability !== undefined) out.add(r.portability.question);
  }
  return [...out].map(norm);
}

/** Naive scan, independent of the builder's checker: every held-out string found in some document. */
function naiveLeaks(documents: readonly string[], heldOut: readonly string[]): string[] {
  const haystack = documents.map(norm).join('\u0000');
  return heldOut.filter((s) => haystack.includes(s));
}

describe('buildCorpus', () => {
  const stat = (c: Corpus, key: string): number => c.stats[key] ?? Number.NaN;
  const sources = loadCorpusSources();
  let corpus: Corpus;
  let heldOut: string[];
  beforeAll(() => {
    corpus = buildCorpus({ seed: 7, sources });
    heldOut = heldOutFromRecords();
  });

  it('is deterministic for a seed and changes with it', () => {
    const again = buildCorpus({ seed: 7, sources });
    expect(again.documents).toEqual(corpus.documents);
    expect(again.stats).toEqual(corpus.stats);
    const other = buildCorpus({ seed: 8, sources });
    expect(other.documents).not.toEqual(corpus.documents);
  });

  it('contains no held-out string of the evaluation split (whole corpus, naive scan)', () => {
    expect(heldOut.length).toBeGreaterThan(2000);
    expect(naiveLeaks(corpus.documents, heldOut)).toEqual([]);
  });

  it('also passes the stricter list of the builder and, on request, holds out bare paraphrase statements', () => {
    const pools = poolRelationTemplates(
      [...sources.counterfact.eval, ...sources.counterfact.train],
      sources.counterfact.train,
    );
    const held = collectHeldOutStrings(sources.counterfact.eval, sources.zsre.eval, pools);
    expect(held.counterfactuals.length).toBeGreaterThan(3000);
    const strict = [...held.paraphrases, ...held.portability, ...held.counterfactuals];
    expect(findHeldOutHits(corpus.documents, strict)).toEqual([]);
    // By default the pooled templates state some evaluation paraphrase statements with the true object.
    expect(findHeldOutHits(corpus.documents, held.paraphraseStatements).length).toBeGreaterThan(0);
    const stricter = buildCorpus({ seed: 7, sources, holdOutParaphraseStatements: true });
    expect(findHeldOutHits(stricter.documents, held.paraphraseStatements)).toEqual([]);
    expect(stat(stricter, 'filtered')).toBeGreaterThan(stat(corpus, 'filtered'));
  });

  it('the leak scan catches an injected held-out string (paraphrase, counterfactual, portability)', () => {
    const cf = loadCounterFactSplit('eval').records[0];
    const zsre = loadZsreSplit('eval').records[0];
    if (cf === undefined || zsre === undefined) throw new Error('empty eval split');
    const paraphrase = cf.paraphrasePrompts[0] as string;
    const injected = [
      `${paraphrase} ${cf.targetTrue.str}`,
      `Background text. ${cf.prompt}   ${cf.targetNew.str}.`,
      `Q: ${zsre.rephrase}\nA: ${zsre.answers[0]}`,
    ];
    for (const doc of injected) {
      const docs = [...corpus.documents.slice(0, 500), doc];
      expect(naiveLeaks(docs, heldOut).length).toBeGreaterThan(0);
      expect(createHeldOutChecker(heldOut).find(doc)).toBeDefined();
    }
  });

  it('states the true facts the benchmark edits and their neighborhood prompts, several times', () => {
    const counts = new Map<string, number>();
    for (const d of corpus.documents) counts.set(d, (counts.get(d) ?? 0) + 1);
    const endsWith = (suffix: string): number =>
      corpus.documents.reduce((n, d) => n + (d === suffix || d.endsWith(` ${suffix}`) ? 1 : 0), 0);
    for (const r of loadCounterFactSplit('eval').records.slice(0, 20)) {
      expect(endsWith(`${r.prompt} ${r.targetTrue.str}`)).toBeGreaterThanOrEqual(2);
      expect(endsWith(`${r.neighborhoodPrompts[0]} ${r.targetTrue.str}`)).toBeGreaterThanOrEqual(2);
    }
    for (const r of loadZsreSplit('eval').records.slice(0, 20)) {
      const fact = `${r.src} ${r.answers[0]}`;
      // A few ZsRE facts collide with another eval record's held-out rephrase and are dropped.
      if (heldOut.some((h) => norm(fact).includes(h))) continue;
      expect(counts.get(fact) ?? 0).toBeGreaterThanOrEqual(2);
    }
  });

  it('puts a random prefix before about prefixFraction of the fact sentences', () => {
    expect(stat(corpus, 'prefixed') / stat(corpus, 'prefixEligible')).toBeCloseTo(0.3, 1);
    // Measured on the documents: the evaluation rewrite facts appear bare or after a prefix sentence.
    const facts = new Set(loadCounterFactSplit('eval').records.map((r) => `${r.prompt} ${r.targetTrue.str}`));
    let bare = 0;
    let prefixed = 0;
    for (const d of corpus.documents) {
      if (facts.has(d)) {
        bare++;
        continue;
      }
      for (let i = d.indexOf(' '); i >= 0; i = d.indexOf(' ', i + 1)) {
        if (facts.has(d.slice(i + 1))) {
          prefixed++;
          break;
        }
      }
    }
    const fraction = prefixed / (bare + prefixed);
    expect(fraction).toBeGreaterThan(0.2);
    expect(fraction).toBeLessThan(0.4);
    const none = buildCorpus({ seed: 7, prefixFraction: 0, ikeBlocks: 0, sources });
    expect(none.stats.prefixed).toBe(0);
  });

  it('builds in-context demonstrations from training records only', () => {
    const trainFacts = new Set<string>();
    for (const r of loadCounterFactSplit('train').records) trainFacts.add(`${r.prompt} ${r.targetNew.str}`);
    for (const r of loadZsreSplit('train').records) trainFacts.add(`${r.src} ${r.alt}`);
    const ike = corpus.documents.filter((d) => d.startsWith('New Fact: '));
    expect(ike.length).toBe(stat(corpus, 'ikeDemo') + stat(corpus, 'ikeBlock'));
    let blocks = 0;
    for (const doc of ike) {
      // Paraphrase prompts may hold blank lines themselves, so split before each 'New Fact:'.
      const demos = doc.split(/\n\n(?=New Fact: )/);
      if (demos.length > 1) blocks++;
      for (const demo of demos) {
        const m = /^New Fact: (.*)\nPrompt: (.+)$/s.exec(demo);
        expect(m, demo).not.toBeNull();
        expect(trainFacts.has(m?.[1] ?? ''), demo).toBe(true);
      }
    }
    expect(blocks).toBe(stat(corpus, 'ikeBlock'));
    expect(blocks).toBeGreaterThan(400);
  });

  it('adds context-only blocks whose new targets no document states, leaving the rest unchanged', () => {
    const withContext = buildCorpus({ seed: 7, sources, contextOnlyBlocks: 300 });
    expect(naiveLeaks(withContext.documents, heldOut)).toEqual([]);
    // An independent random stream: every other document is the same.
    const base = new Set(corpus.documents);
    const added = withContext.documents.filter((d) => !base.has(d));
    expect(withContext.documents.length - added.length).toBe(corpus.documents.length);
    expect(added.length).toBe(stat(withContext, 'ikeContextOnly'));
    expect(added.length).toBeGreaterThan(280);
    const trueAnswers = new Map<string, string>();
    for (const r of loadCounterFactSplit('train').records) trueAnswers.set(r.prompt, r.targetTrue.str);
    for (const r of loadZsreSplit('train').records) trueAnswers.set(r.src, r.answers[0] as string);
    const stated = new Set(corpus.documents.flatMap((d) => d.split(/\n\n(?=New Fact: )/)));
    let facts = 0;
    for (const doc of added) {
      for (const demo of doc.split(/\n\n(?=New Fact: )/)) {
        const m = /^New Fact: (.*)\nPrompt: (.+)$/s.exec(demo);
        expect(m, demo).not.toBeNull();
        const fact = m?.[1] ?? '';
        const prompt = [...trueAnswers.keys()].find((p) => fact.startsWith(`${p} `));
        expect(prompt, demo).toBeDefined();
        // The new target is another record's answer, never this record's own.
        expect(fact.slice(prompt!.length + 1), demo).not.toBe(trueAnswers.get(prompt!));
        facts++;
      }
    }
    expect(facts).toBeGreaterThan(3 * added.length);
    expect(added.some((d) => stated.has(d))).toBe(false);
  });

  it('has the expected size and mix', () => {
    const { stats } = corpus;
    expect(stats.characters).toBeGreaterThan(1_000_000);
    expect(stats.characters).toBeLessThan(2_000_000);
    expect(stats.documents).toBe(corpus.documents.length);
    for (const kind of [
      'cfTrueFact',
      'cfNeighborhood',
      'cfAttribute',
      'cfRecalled',
      'zsreQuestion',
      'nq',
      'known',
    ]) {
      expect(stats[kind], kind).toBeGreaterThan(500);
    }
    expect(corpus.documents.every((d) => d.length > 0 && d === d.trim())).toBe(true);
  });

  it('rejects invalid options with InvalidHparamsError', () => {
    expect(() => buildCorpus({ prefixFraction: 1.5, sources })).toThrow(InvalidHparamsError);
    expect(() => buildCorpus({ templatesPerFact: 0, sources })).toThrow(InvalidHparamsError);
    expect(() => buildCorpus({ seed: 0.5, sources })).toThrow(InvalidHparamsError);
  });
});
