import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { loadMquake } from './mquake.js';
import { datasetPath, loadMquakeFile } from './node.js';

function goodCase(caseId: number): Record<string, unknown> {
  return {
    case_id: caseId,
    requested_rewrite: [
      {
        prompt: '{} is a citizen of',
        subject: 'Ellie Kemper',
        relation_id: 'P27',
        target_new: { str: 'Croatia', id: 'Q224' },
        target_true: { str: 'United States of America', id: 'Q30' },
        question: 'What is the country of citizenship of Ellie Kemper?',
      },
    ],
    questions: ['Who is the head of state of the country Ellie Kemper is a citizen of?'],
    answer: 'Joe Biden',
    answer_alias: ['Biden'],
    new_answer: 'Kolinda Grabar-Kitarović',
    new_answer_alias: [],
    single_hops: [
      { question: 'q1?', cloze: 'c1', answer: 'United States of America', answer_alias: ['USA'] },
    ],
    new_single_hops: [{ question: 'q1?', cloze: 'c1', answer: 'Croatia', answer_alias: [] }],
  };
}

describe('MQuAKE', () => {
  it('loads the 429 MQuAKE-hard cases (4 edits, 3 questions each) and maps the first one', () => {
    const { records, requests, skipped } = loadMquakeFile(datasetPath('mquakeHard'));
    expect(records).toHaveLength(429);
    expect(skipped).toEqual([]);
    expect(requests).toHaveLength(429 * 4);
    const c = records[0]!;
    expect(c.caseId).toBe(7417);
    expect(c.edits).toHaveLength(4);
    expect(c.edits[0]).toEqual({
      id: '7417:0',
      prompt: 'Hey Jude was performed by',
      subject: 'Hey Jude',
      targetNew: 'Madonna',
      groundTruth: 'The Beatles',
      rephrasePrompts: ['Who performed Hey Jude?'],
    });
    expect(c.edits[1]!.prompt).toBe('The director of Madonna is');
    expect(c.rewrites[2]!.targetTrue).toEqual({ str: 'India', id: 'Q668' });
    expect(c.questions).toHaveLength(3);
    expect(c.newAnswer).toBe('Arabic');
    expect(c.multiHop[0]).toEqual({
      prompt: c.questions[0],
      groundTruth: ['Arabic', 'ar', 'Arabian language', 'Arabic language'],
    });
    expect(c.multiHopBefore[0]!.groundTruth).toEqual(['English', 'en', 'eng', 'English language']);
    expect(c.singleHops[1]).toEqual({
      question: 'Who is the director of The Beatles?',
      cloze: 'The director of The Beatles is',
      answer: 'Brian Epstein',
      answerAlias: ['Brian Samuel Epstein'],
    });
    expect(c.orig?.newTriplesLabeled[3]).toEqual(['Australia', 'official language', 'Arabic']);
    expect(c.orig?.editTriplesIdx).toEqual([0, 1, 2, 3]);
    expect(requests[4]!.id).toBe(`${records[1]!.caseId}:0`);
  });

  const breakages: [string, (r: Record<string, unknown>) => void, string][] = [
    ['requested_rewrite', (r) => (r.requested_rewrite = []), 'must be a non-empty array of rewrites'],
    ['requested_rewrite[0].prompt', (r) => first(r, 'prompt', 'is a citizen of'), "placeholder '{}'"],
    ['requested_rewrite[0].target_new.str', (r) => first(r, 'target_new', { str: '' }), 'non-empty string'],
    ['requested_rewrite[0].question', (r) => first(r, 'question', undefined), 'non-empty string'],
    ['questions', (r) => (r.questions = []), 'must hold at least 1 non-empty string'],
    ['new_answer', (r) => (r.new_answer = ''), 'must be a non-empty string'],
    ['new_answer_alias[0]', (r) => (r.new_answer_alias = [['x']]), 'must be a non-empty string'],
    ['single_hops[0].cloze', (r) => (r.single_hops = [{ question: 'q', answer: 'a' }]), 'non-empty string'],
    [
      'orig.triples[0]',
      (r) => (r.orig = { triples: [['a', 'b']] }),
      'must be a [subject, relation, object] triple',
    ],
  ];

  function first(r: Record<string, unknown>, key: string, value: unknown): void {
    ((r.requested_rewrite as unknown[])[0] as Record<string, unknown>)[key] = value;
  }

  it.each(breakages)('rejects a bad %s naming file, index, case and field', (field, breakIt, message) => {
    const bad = goodCase(31);
    breakIt(bad);
    let error: unknown;
    try {
      loadMquake([goodCase(30), bad], { file: 'MQuAKE-CF-3k.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).record).toBe('MQuAKE-CF-3k.json record 1 (case 31)');
    expect((error as InvalidRequestError).field).toBe(field);
    expect((error as InvalidRequestError).message).toContain(message);
  });

  it('lenient mode drops a bad case with all its edits', () => {
    const bad = goodCase(2);
    bad.answer = '';
    const { records, requests, skipped } = loadMquake([goodCase(1), bad], { lenient: true });
    expect(records.map((c) => c.caseId)).toEqual([1]);
    expect(requests.map((r) => r.id)).toEqual(['1:0']);
    expect(skipped.map((s) => [s.index, s.caseId, s.field])).toEqual([[1, '2', 'answer']]);
  });
});
