import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { loadCounterFact } from './counterfact.js';
import { datasetPath, loadCounterFactFile, readJsonFile } from './node.js';

function goodRecord(caseId: number): Record<string, unknown> {
  return {
    case_id: caseId,
    pararel_idx: 7,
    requested_rewrite: {
      prompt: 'The mother tongue of {} is',
      relation_id: 'P103',
      target_new: { str: 'English', id: 'Q1860' },
      target_true: { str: 'French', id: 'Q150' },
      subject: 'Danielle Darrieux',
    },
    paraphrase_prompts: ['Danielle Darrieux spoke the language'],
    neighborhood_prompts: ['The mother tongue of Léon Blum is', 'Montesquieu spoke the language'],
    attribute_prompts: ['J. R. R. Tolkien is a native speaker of'],
    generation_prompts: ["Danielle Darrieux's mother tongue is"],
  };
}

/** Returns the error the loader throws for `data`. */
function errorOf(data: unknown, file = 'cf.json'): InvalidRequestError {
  try {
    loadCounterFact(data, { file });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('expected the loader to throw');
}

describe('CounterFact (ROME format) on the shipped files', () => {
  it('loads all 1031 records of counterfact_portability_gpt4.json and maps the first one', () => {
    const { records, requests, skipped } = loadCounterFactFile(datasetPath('counterfact'));
    expect(records).toHaveLength(1031);
    expect(requests).toHaveLength(1031);
    expect(skipped).toEqual([]);
    const rec = records[0]!;
    expect(rec.caseId).toBe(4482);
    expect(rec.pararelIdx).toBe(14235);
    expect(rec.relationId).toBe('P19');
    expect(rec.targetNew).toEqual({ str: 'Philadelphia', id: 'Q935334' });
    expect(rec.targetTrue).toEqual({ str: 'London', id: 'Q84' });
    expect(rec.attributePrompts).toHaveLength(10);
    expect(rec.generationPrompts).toHaveLength(10);
    const req = requests[0]!;
    expect(req.id).toBe('4482');
    expect(req.prompt).toBe('Spike Hughes originates from');
    expect(req.subject).toBe('Spike Hughes');
    expect(req.targetNew).toBe('Philadelphia');
    expect(req.groundTruth).toBe('London');
    expect(req.rephrasePrompts).toEqual([
      'Incumbent Mayor Jim Suttle sought a second term in office. Spike Hughes is native to',
      'Amateur Athletic Union (AAU). Spike Hughes was born in',
    ]);
    expect(req.locality?.neighborhood).toHaveLength(10);
    expect(req.locality?.neighborhood?.[0]).toEqual({
      prompt: 'Max Mosley originates from',
      groundTruth: 'London',
    });
    expect(req.portability?.oneHop).toEqual([
      {
        prompt: 'What famous food is associated with the city where Spike Hughes originates from?',
        groundTruth: 'Cheesesteaks',
      },
    ]);
    expect(rec.portability?.recalledRelation).toBe('(Philadelphia, known for, cheesesteaks)');
    // Every prompt of the file contains its subject once filled in, and ids are unique.
    expect(requests.every((r) => r.prompt.includes(r.subject!))).toBe(true);
    expect(new Set(requests.map((r) => r.id)).size).toBe(1031);
  });

  it('maps the Subject Replace variant (213 records) to a subjectReplace portability probe', () => {
    const { records, requests } = loadCounterFactFile(datasetPath('counterfactSubjectReplace'));
    expect(records).toHaveLength(213);
    expect(records[0]!.caseId).toBe(4496);
    expect(records[0]!.alternativeSubject).toBe('Mary Eliza Wright');
    expect(requests[0]!.prompt).toBe('May Wright Sewall passed away in');
    expect(requests[0]!.portability).toEqual({
      subjectReplace: [{ prompt: 'Mary Eliza Wright passed away in', groundTruth: 'Birmingham' }],
    });
  });

  it('maps the Distracting Neighbor subset (200 records) to extra locality probes', () => {
    const { records, requests } = loadCounterFactFile(datasetPath('counterfactDistractingNeighbor'));
    expect(records).toHaveLength(200);
    const req = requests[0]!;
    expect(req.locality?.distractingNeighborhood?.[0]).toEqual({
      prompt: 'Spike Hughes originates from Philadelphia. Max Mosley originates from',
      groundTruth: 'London',
    });
    expect(req.locality?.otherAttribution).toEqual([
      { prompt: 'What is Spike Hughes an instance of?', groundTruth: 'human' },
    ]);
    expect(records[0]!.unrelatedRelation).toEqual({
      relation: 'instance of',
      object: 'human',
      question: 'What is Spike Hughes an instance of?',
    });
  });
});

describe('CounterFact validation', () => {
  it('names file, record index, case id and field, as in the documented example', () => {
    const data = Array.from({ length: 18 }, (_, i) => goodRecord(1000 + i));
    data[17] = goodRecord(1234);
    (data[17]!.requested_rewrite as { target_new: { str: string } }).target_new.str = '';
    const error = errorOf(data, 'counterfact_portability_gpt4.json');
    expect(error.message).toBe(
      "counterfact_portability_gpt4.json record 17 (case 1234): field 'requested_rewrite.target_new.str' must be a non-empty string",
    );
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.field).toBe('requested_rewrite.target_new.str');
    expect(error.record).toBe('counterfact_portability_gpt4.json record 17 (case 1234)');
  });

  const breakages: [string, (r: Record<string, unknown>) => void, string][] = [
    ['case_id', (r) => delete r.case_id, 'must be a non-negative integer'],
    ['case_id', (r) => (r.case_id = '12'), 'must be a non-negative integer'],
    ['requested_rewrite', (r) => (r.requested_rewrite = 'x'), 'must be an object'],
    ['requested_rewrite.prompt', (r) => rw(r, 'prompt', 'The mother tongue is'), 'exactly once (found 0)'],
    ['requested_rewrite.prompt', (r) => rw(r, 'prompt', '{} and {} speak'), 'exactly once (found 2)'],
    ['requested_rewrite.subject', (r) => rw(r, 'subject', ' '), 'must be a non-empty string'],
    ['requested_rewrite.target_true', (r) => rw(r, 'target_true', undefined), 'must be an object'],
    [
      'requested_rewrite.target_true.str',
      (r) => rw(r, 'target_true', { str: 5 }),
      'must be a non-empty string',
    ],
    ['requested_rewrite.target_new.id', (r) => rw(r, 'target_new', { str: 'X', id: '' }), 'non-empty string'],
    ['requested_rewrite.target_new.str', (r) => rw(r, 'target_new', { str: 'French' }), 'must differ from'],
    ['paraphrase_prompts', (r) => (r.paraphrase_prompts = 'x'), 'must be an array of non-empty strings'],
    ['neighborhood_prompts[1]', (r) => (r.neighborhood_prompts = ['a', '']), 'must be a non-empty string'],
    ['generation_prompts[0]', (r) => (r.generation_prompts = [3]), 'must be a non-empty string'],
    [
      'portability.New Answer',
      (r) => (r.portability = { 'New Question': 'q?' }),
      'must be a non-empty string',
    ],
    ['pararel_idx', (r) => (r.pararel_idx = -1), 'must be a non-negative integer'],
  ];

  function rw(r: Record<string, unknown>, key: string, value: unknown): void {
    (r.requested_rewrite as Record<string, unknown>)[key] = value;
  }

  it.each(breakages)('rejects a bad %s', (field, breakIt, message) => {
    const bad = goodRecord(77);
    breakIt(bad);
    const error = errorOf([goodRecord(1), goodRecord(2), bad]);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
    expect(error.message.startsWith('cf.json record 2')).toBe(true);
    if (field !== 'case_id') expect(error.record).toBe('cf.json record 2 (case 77)');
  });

  it('rejects a record that is not an object and a file that is not an array', () => {
    expect(errorOf([goodRecord(1), null]).message).toBe(
      "cf.json record 1: field '(record)' must be an object",
    );
    expect(errorOf({ records: [] }).message).toBe("cf.json: field '(root)' must be an array of records");
  });

  it('rejects a duplicate case id (strict) or skips the later record (lenient)', () => {
    expect(errorOf([goodRecord(4), goodRecord(5), goodRecord(4)]).message).toBe(
      "cf.json record 2 (case 4): field 'case_id' 4 is also the id of record 0; ids must be unique",
    );
    const { requests, skipped } = loadCounterFact([goodRecord(4), goodRecord(4)], {
      file: 'cf.json',
      lenient: true,
    });
    expect(requests.map((r) => r.id)).toEqual(['4']);
    expect(skipped.map((s) => [s.index, s.field])).toEqual([[1, 'case_id']]);
  });

  it('a lenient load that skips every record is an error naming the first reason', () => {
    const bad = goodRecord(5);
    bad.paraphrase_prompts = 'x';
    expect(() => loadCounterFact([bad, bad], { file: 'cf.json', lenient: true })).toThrow(
      "cf.json: field '(root)' has no valid record: lenient mode skipped all 2 (the first: cf.json record 0 (case 5)",
    );
  });

  it('lenient mode skips bad records and reports index, case id, field and message', () => {
    const bad1 = goodRecord(5);
    (bad1.requested_rewrite as Record<string, unknown>).subject = '';
    const bad2 = goodRecord(6);
    bad2.neighborhood_prompts = [''];
    const { records, requests, skipped } = loadCounterFact([goodRecord(4), bad1, bad2, goodRecord(7)], {
      file: 'cf.json',
      lenient: true,
    });
    expect(records.map((r) => r.caseId)).toEqual([4, 7]);
    expect(requests.map((r) => r.id)).toEqual(['4', '7']);
    expect(skipped).toEqual([
      {
        index: 1,
        caseId: '5',
        field: 'requested_rewrite.subject',
        message: "cf.json record 1 (case 5): field 'requested_rewrite.subject' must be a non-empty string",
      },
      {
        index: 2,
        caseId: '6',
        field: 'neighborhood_prompts[0]',
        message: "cf.json record 2 (case 6): field 'neighborhood_prompts[0]' must be a non-empty string",
      },
    ]);
  });

  it('fills optional ROME lists with empty arrays and omits absent portability', () => {
    const rec = goodRecord(3);
    delete rec.attribute_prompts;
    delete rec.generation_prompts;
    const { records, requests } = loadCounterFact([rec]);
    expect(records[0]!.attributePrompts).toEqual([]);
    expect(records[0]!.generationPrompts).toEqual([]);
    expect('portability' in requests[0]!).toBe(false);
    expect(requests[0]!.locality?.neighborhood?.map((p) => p.groundTruth)).toEqual(['French', 'French']);
  });

  it('reads the same records from parsed JSON as from the file reader', () => {
    const parsed = readJsonFile(datasetPath('counterfactSubjectReplace'));
    const fromJson = loadCounterFact(parsed, { file: 'counterfact_subject_replace.json' });
    expect(fromJson.requests).toEqual(loadCounterFactFile(datasetPath('counterfactSubjectReplace')).requests);
  });
});
