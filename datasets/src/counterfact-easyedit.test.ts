import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { loadCounterFactEasyEdit } from './counterfact-easyedit.js';
import { datasetPath, loadCounterFactEasyEditFile } from './node.js';

function goodRecord(caseId: number): Record<string, unknown> {
  return {
    case_id: caseId,
    prompt: 'Toko Yasuda, the',
    target_new: 'piano',
    subject: 'Toko Yasuda',
    ground_truth: 'guitar',
    rephrase_prompt: 'Toko Yasuda is incredible at',
    locality_prompt: 'John Lennon performs on the',
    locality_ground_truth: 'guitar',
  };
}

describe('CounterFact (EasyEdit flat format)', () => {
  it('loads all 1919 records of counterfact-val.easyedit.json and maps the first one', () => {
    const { records, requests, skipped } = loadCounterFactEasyEditFile(datasetPath('counterfactEasyEdit'));
    expect(records).toHaveLength(1919);
    expect(skipped).toEqual([]);
    expect(requests[0]).toEqual({
      id: '10',
      prompt: 'BBC One, by',
      subject: 'BBC One',
      targetNew: 'Sega',
      groundTruth: 'BBC',
      rephrasePrompts: ['BBC One is my favorite product out of everything owned by'],
      locality: { neighborhood: [{ prompt: 'BBC Radio, by', groundTruth: 'BBC' }] },
    });
  });

  const breakages: [string, (r: Record<string, unknown>) => void, string][] = [
    ['prompt', (r) => (r.prompt = ''), 'must be a non-empty string'],
    ['subject', (r) => (r.subject = 'Yoko Ono'), 'must occur in the prompt "Toko Yasuda, the"'],
    ['target_new', (r) => delete r.target_new, 'must be a non-empty string'],
    ['target_new', (r) => (r.target_new = 'guitar'), 'must differ from ground_truth'],
    ['ground_truth', (r) => (r.ground_truth = ['guitar']), 'must be a non-empty string'],
    ['rephrase_prompt', (r) => delete r.rephrase_prompt, 'must be a non-empty string'],
    ['locality_prompt', (r) => (r.locality_prompt = 1), 'must be a non-empty string'],
    ['locality_ground_truth', (r) => (r.locality_ground_truth = ''), 'must be a non-empty string'],
  ];

  it.each(breakages)('rejects a bad %s naming file, index, case and field', (field, breakIt, message) => {
    const bad = goodRecord(42);
    breakIt(bad);
    let error: unknown;
    try {
      loadCounterFactEasyEdit([goodRecord(1), bad], { file: 'counterfact-val.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).message).toBe(
      `counterfact-val.json record 1 (case 42): field '${field}' ${message}`,
    );
  });

  it('lenient mode returns the good records and the skipped ones', () => {
    const bad = goodRecord(9);
    bad.subject = 'Nobody';
    const result = loadCounterFactEasyEdit([bad, goodRecord(8)], { lenient: true });
    expect(result.requests.map((r) => r.id)).toEqual(['8']);
    expect(result.skipped.map((s) => [s.index, s.caseId, s.field])).toEqual([[0, '9', 'subject']]);
  });
});
