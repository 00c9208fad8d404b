import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { datasetPath, loadZsreFile } from './node.js';
import { loadZsre, zsreToRomeRequest } from './zsre.js';

function goodRecord(): Record<string, unknown> {
  return {
    subject: 'Watts Humphrey',
    src: 'What university did Watts Humphrey attend?',
    pred: 'Trinity College',
    rephrase: 'What university did Watts Humphrey take part in?',
    alt: 'University of Michigan',
    answers: ['Illinois Institute of Technology'],
    loc: 'nq question: who played desmond doss father in hacksaw ridge',
    loc_ans: 'Hugo Weaving',
    cond: 'Trinity College >> University of Michigan || What university did Watts Humphrey attend?',
  };
}

function errorOf(data: unknown): InvalidRequestError {
  try {
    loadZsre(data, { file: 'zsre.json' });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('expected the loader to throw');
}

describe('zsRE on the shipped files', () => {
  it('loads all 1037 records of zsre_mend_eval_portability_gpt4.json and maps the first one', () => {
    const { records, requests, skipped } = loadZsreFile(datasetPath('zsre'));
    expect(records).toHaveLength(1037);
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.index)).toEqual(records.map((_, i) => i));
    expect(requests[0]).toEqual({
      id: '0',
      prompt: 'When was the inception of IAAF Combined Events Challenge?',
      subject: 'IAAF Combined Events Challenge',
      targetNew: '2006',
      groundTruth: '1998',
      rephrasePrompts: ['When was the IAAF Combined Events Challenge launched?'],
      locality: {
        neighborhood: [
          {
            prompt: 'nq question: what is the name of the last episode of spongebob',
            groundTruth: 'The String',
          },
        ],
      },
      portability: {
        oneHop: [
          {
            prompt:
              'What type of sports event is the IAAF Combined Events Challenge, which was established in 2006?',
            groundTruth: 'Athletics',
          },
        ],
      },
    });
    expect(records[0]!.pred).toBe('2011');
    expect(records[0]!.portability?.recalledRelation).toBe(
      '(IAAF Combined Events Challenge, event type, athletics)',
    );
    // Every main-file subject occurs verbatim in its question.
    expect(requests.every((r) => r.subject !== undefined && r.prompt.includes(r.subject))).toBe(true);
  });

  it('loads the Subject Replace variant (293) with a subjectReplace probe answered by the new target', () => {
    const { records, requests } = loadZsreFile(datasetPath('zsreSubjectReplace'));
    expect(records).toHaveLength(293);
    expect(requests[0]!.portability).toEqual({
      subjectReplace: [{ prompt: 'What is the constellation of UGC 6870?', groundTruth: 'Triangulum' }],
    });
    expect(requests[0]!.locality).toBeUndefined();
    // Subjects spelled differently in the question are recovered case-insensitively or left out.
    const altarpiece = requests.find(
      (r) => r.prompt === 'What material was used for Saint Columba altarpiece?',
    );
    expect(altarpiece?.subject).toBe('Saint Columba altarpiece');
    const renamed = requests.find((r) => r.prompt === 'By which company, D&RGW 463 has been manufactured?');
    expect(renamed).toBeDefined();
    expect(renamed!.subject).toBeUndefined();
    expect(requests.filter((r) => r.subject === undefined)).toHaveLength(3);
  });

  it('loads the Inverse Relation variant (385) with the subject as the inverse answer', () => {
    const { records, requests } = loadZsreFile(datasetPath('zsreInverseRelation'));
    expect(records).toHaveLength(385);
    expect(records[0]!.inverseQuestion).toBe("Who is Marian Clairmont's sister?");
    expect(requests[0]!.portability).toEqual({
      inverseRelation: [{ prompt: "Who is Marian Clairmont's sister?", groundTruth: 'Claire Clairmont' }],
    });
    expect(requests.filter((r) => r.subject === undefined)).toHaveLength(5);
  });
});

describe("zsRE under ROME's protocol (dsets/zsre.py MENDQADataset)", () => {
  it('edits the question to the true answer answers[0], not alt, and keeps rephrase and the NQ probe', () => {
    const { records } = loadZsre([goodRecord()], { file: 'zsre.json' });
    expect(zsreToRomeRequest(records[0]!)).toEqual({
      id: '0',
      prompt: 'What university did Watts Humphrey attend?',
      subject: 'Watts Humphrey',
      targetNew: 'Illinois Institute of Technology',
      groundTruth: 'Illinois Institute of Technology',
      rephrasePrompts: ['What university did Watts Humphrey take part in?'],
      // The "?" ROME appends to the NQ question is the evaluation's (the 'rome-zsre' suite), not the data's.
      locality: {
        neighborhood: [
          {
            prompt: 'nq question: who played desmond doss father in hacksaw ridge',
            groundTruth: 'Hugo Weaving',
          },
        ],
      },
    });
  });
});

describe('zsRE validation', () => {
  const breakages: [string, (r: Record<string, unknown>) => void, string][] = [
    ['subject', (r) => delete r.subject, 'must be a non-empty string'],
    ['src', (r) => (r.src = ''), 'must be a non-empty string'],
    ['rephrase', (r) => (r.rephrase = ['x']), 'must be a non-empty string'],
    ['alt', (r) => (r.alt = '   '), 'must be a non-empty string'],
    ['answers', (r) => (r.answers = []), 'must hold at least 1 non-empty string'],
    ['answers', (r) => (r.answers = 'x'), 'must be an array of non-empty strings'],
    ['answers[1]', (r) => (r.answers = ['a', null]), 'must be a non-empty string'],
    ['loc_ans', (r) => delete r.loc_ans, 'must be a non-empty string'],
    ['loc', (r) => delete r.loc, 'must be a non-empty string'],
    ['portability', (r) => (r.portability = []), 'must be an object'],
    [
      'portability.New Question',
      (r) => (r.portability = { 'New Answer': 'a' }),
      'must be a non-empty string',
    ],
    ['alter_subject_question', (r) => (r.alternative_subject = 'W. H.'), 'Subject Replace partner'],
    ['inverse question', (r) => (r['inverse question'] = 4), 'must be a non-empty string'],
  ];

  it.each(breakages)('rejects a bad %s naming file, index and field', (field, breakIt, message) => {
    const bad = goodRecord();
    breakIt(bad);
    const error = errorOf([goodRecord(), bad]);
    expect(error.field).toBe(field);
    expect(error.record).toBe('zsre.json record 1');
    expect(error.message).toContain(message);
  });

  it('accepts records without locality or pred (variant layouts)', () => {
    const rec = goodRecord();
    delete rec.loc;
    delete rec.loc_ans;
    delete rec.pred;
    const { requests, records } = loadZsre([rec]);
    expect(requests[0]!.locality).toBeUndefined();
    expect(records[0]!.pred).toBeUndefined();
  });

  it('lenient mode skips and reports bad records, keeping source indices as ids', () => {
    const bad = goodRecord();
    bad.alt = '';
    const { requests, skipped } = loadZsre([goodRecord(), bad, goodRecord()], {
      file: 'z.json',
      lenient: true,
    });
    expect(requests.map((r) => r.id)).toEqual(['0', '2']);
    expect(skipped).toEqual([
      { index: 1, field: 'alt', message: "z.json record 1: field 'alt' must be a non-empty string" },
    ]);
  });
});
