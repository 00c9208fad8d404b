import { type EditRequest, InvalidRequestError } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { describe, expect, it } from 'vitest';
import { DemoPool, demosOf } from './demos.js';
import { trainingPool } from './training-pool.js';

const record: EditRequest = {
  id: '7',
  prompt: 'Danielle Darrieux speaks',
  targetNew: 'English',
  rephrasePrompts: ['The mother tongue of Danielle Darrieux is'],
  locality: {
    neighborhood: [
      { prompt: 'Michel Rocard speaks', groundTruth: ['French', 'français'] },
      { prompt: 'Jean Gabin speaks', groundTruth: 'French' },
    ],
  },
};

describe('demosOf', () => {
  it("builds EasyEdit's copy, update and retain demonstrations", () => {
    const demos = demosOf(record, '7');
    expect(demos.map((d) => d.kind)).toEqual(['copy', 'update', 'retain']);
    expect(demos.map((d) => d.text)).toEqual([
      'New Fact: Danielle Darrieux speaks English\nPrompt: Danielle Darrieux speaks English',
      'New Fact: Danielle Darrieux speaks English\nPrompt: The mother tongue of Danielle Darrieux is English',
      'New Fact: Danielle Darrieux speaks English\nPrompt: Michel Rocard speaks French',
    ]);
  });

  it('gives only a copy when the record has no usable rephrase and no locality probe', () => {
    expect(demosOf({ prompt: 'A is', targetNew: 'B' }, '0').map((d) => d.kind)).toEqual(['copy']);
    expect(
      demosOf({ prompt: 'A is', targetNew: 'B', rephrasePrompts: [' '] }, '0').map((d) => d.kind),
    ).toEqual(['copy']);
  });
});

describe('DemoPool', () => {
  const pool = DemoPool.fromRequests([
    record,
    { id: '8', prompt: 'Toko Yasuda plays the', targetNew: 'piano', rephrasePrompts: ['Toko Yasuda, the'] },
    { id: '9', prompt: 'Satyajit Ray speaks', targetNew: 'French' },
  ]);

  it('retrieves the most similar demonstrations first', () => {
    const hits = pool.retrieve({ prompt: 'Michel Rocard speaks', targetNew: 'German' }, 2);
    expect(hits).toHaveLength(2);
    expect(hits[0]!.demo.text).toContain('Michel Rocard speaks');
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
  });

  it('never retrieves demonstrations of the fact being edited', () => {
    const hits = pool.retrieve({ prompt: 'Satyajit Ray speaks', targetNew: 'French' }, 10);
    expect(hits.every((h) => h.demo.record !== '9')).toBe(true);
    expect(pool.retrieve({ prompt: 'Satyajit Ray speaks', targetNew: 'Bengali' }, 1)[0]!.demo.record).toBe(
      '9',
    );
  });

  it('rejects a bad k and bad records with typed errors', () => {
    expect(() => pool.retrieve({ prompt: 'x', targetNew: 'y' }, -1)).toThrow(InvalidRequestError);
    expect(() => DemoPool.fromRequests([{ id: 'r1', prompt: 'A' }], 'train')).toThrow(/train.*targetNew/);
  });
});

describe('trainingPool', () => {
  it('is built from the training splits only, and cached', () => {
    const pool = trainingPool(['zsre', 'counterfact']);
    expect(trainingPool(['counterfact', 'zsre'])).toBe(pool);
    const evalPrompts = new Set(
      [...loadSplit('zsre', 'eval'), ...loadSplit('counterfact', 'eval')].map((r) => r.prompt),
    );
    const trainCount = loadSplit('zsre', 'train').length + loadSplit('counterfact', 'train').length;
    const copies = pool.demos.filter((d) => d.kind === 'copy');
    expect(copies).toHaveLength(trainCount);
    for (const demo of copies) {
      const prompt = demo.text.split('\nPrompt: ')[0]!.slice('New Fact: '.length);
      expect([...evalPrompts].some((p) => prompt.startsWith(`${p} `))).toBe(false);
    }
    expect(pool.demos.some((d) => d.kind === 'update')).toBe(true);
    expect(pool.demos.some((d) => d.kind === 'retain')).toBe(true);
  });
});
