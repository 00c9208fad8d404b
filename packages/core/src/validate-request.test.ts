import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from './errors/index.js';
import { validateEditRequest, validateEditRequests } from './validate-request.js';

function errorOf(action: () => unknown): InvalidRequestError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('expected a throw');
}

const full = {
  id: 'cf-17',
  prompt: 'The Eiffel Tower is located in the city of',
  subject: 'Eiffel Tower',
  targetNew: ' Rome',
  groundTruth: ' Paris',
  rephrasePrompts: ['Where is the Eiffel Tower? It is in'],
  locality: {
    neighborhood: [{ prompt: 'The Louvre is located in', groundTruth: ' Paris' }],
    nq: [{ prompt: 'who wrote hamlet?', groundTruth: ['Shakespeare', 'William Shakespeare'] }],
  },
  portability: { reasoning: [{ prompt: 'The Eiffel Tower is in the country of', groundTruth: ' Italy' }] },
  image: 'val2014/COCO_val2014_000000000042.jpg',
};

describe('validateEditRequest', () => {
  it('returns an equal copy of a valid request', () => {
    const checked = validateEditRequest(full, 'request 0');
    expect(checked).toEqual(full);
    expect(checked).not.toBe(full);
    expect(checked.locality?.nq?.[0]?.groundTruth).not.toBe(full.locality.nq[0]?.groundTruth);
  });

  it('accepts the minimal request and drops unknown fields', () => {
    const checked = validateEditRequest(
      { prompt: 'Q: capital of France? A:', targetNew: ' Lyon', extra: 1 },
      'r',
    );
    expect(checked).toEqual({ prompt: 'Q: capital of France? A:', targetNew: ' Lyon' });
    expect(Object.keys(checked)).toEqual(['prompt', 'targetNew']);
  });

  it('rejects a non-object', () => {
    const error = errorOf(() => validateEditRequest('The Eiffel Tower', 'request 2'));
    expect(error.message).toBe("request 2: field '(request)' must be an object, got a string");
    expect(error.record).toBe('request 2');
    expect(error.code).toBe('INVALID_REQUEST');
    expect(errorOf(() => validateEditRequest(null, 'r')).message).toContain('got null');
    expect(errorOf(() => validateEditRequest([full], 'r')).message).toContain('got a list');
  });

  it.each([
    [{ prompt: undefined }, 'prompt', 'is missing'],
    [{ prompt: '   ' }, 'prompt', 'must not be empty'],
    [{ prompt: 7 }, 'prompt', 'must be a string, got number 7'],
    [{ targetNew: '' }, 'targetNew', 'must not be empty'],
    [{ targetNew: undefined }, 'targetNew', 'is missing'],
    [{ targetNew: [' Rome'] }, 'targetNew', 'must be a string, got a list'],
    [{ id: 17 }, 'id', 'must be a string, got number 17'],
    [{ subject: '' }, 'subject', 'must not be empty'],
    [{ groundTruth: 3 }, 'groundTruth', 'must be a string'],
    [{ rephrasePrompts: 'Where is it?' }, 'rephrasePrompts', 'must be a list of strings, got a string'],
    [{ rephrasePrompts: ['ok', ''] }, 'rephrasePrompts[1]', 'must not be empty'],
    [{ rephrasePrompts: ['ok', null] }, 'rephrasePrompts[1]', 'must be a string, got null'],
    [{ locality: [] }, 'locality', 'must be an object { name: [{ prompt, groundTruth }] }, got a list'],
    [
      { locality: { neighborhood: { prompt: 'p', groundTruth: 'g' } } },
      'locality.neighborhood',
      'must be a list',
    ],
    [
      { locality: { neighborhood: ['p'] } },
      'locality.neighborhood[0]',
      'must be an object { prompt, groundTruth }',
    ],
    [{ locality: { nq: [{ groundTruth: 'g' }] } }, 'locality.nq[0].prompt', 'is missing'],
    [
      { locality: { nq: [{ prompt: 'p', groundTruth: '' }] } },
      'locality.nq[0].groundTruth',
      'must not be empty',
    ],
    [
      { locality: { nq: [{ prompt: 'p', groundTruth: [] }] } },
      'locality.nq[0].groundTruth',
      'must not be an empty list',
    ],
    [
      { locality: { nq: [{ prompt: 'p', groundTruth: ['a', 2] }] } },
      'locality.nq[0].groundTruth[1]',
      'must be a string',
    ],
    [
      { portability: { one: [{ prompt: 'p', groundTruth: 'g' }, { prompt: 'q' }] } },
      'portability.one[1].groundTruth',
      'is missing',
    ],
    [{ portability: 'x' }, 'portability', 'must be an object'],
    [{ image: '' }, 'image', 'must not be empty'],
    [{ image: { path: 'a.jpg' } }, 'image', 'must be a string, got an object'],
  ])('rejects %o naming field %s', (change, fieldPath, message) => {
    const error = errorOf(() => validateEditRequest({ ...full, ...change }, 'request 3 (id cf-17)'));
    expect(error.field).toBe(fieldPath);
    expect(error.message.startsWith(`request 3 (id cf-17): field '${fieldPath}' ${message}`)).toBe(true);
  });

  it('requires the subject to occur verbatim in the prompt', () => {
    const error = errorOf(() => validateEditRequest({ ...full, subject: 'eiffel tower' }, 'request 0'));
    expect(error.field).toBe('subject');
    expect(error.message).toBe(
      'request 0: field \'subject\' "eiffel tower" does not occur in the prompt "The Eiffel Tower is located in the city of"',
    );
    const template = errorOf(() =>
      validateEditRequest({ prompt: '{} is located in', subject: 'Eiffel Tower', targetNew: ' Rome' }, 'r'),
    );
    expect(template.message).toContain("(the prompt looks like a template: fill '{}' with the subject)");
  });

  it('points out snake_case fields', () => {
    expect(errorOf(() => validateEditRequest({ prompt: 'p', target_new: ' Rome' }, 'r')).message).toBe(
      "r: field 'targetNew' is missing (found 'target_new': request fields are camelCase)",
    );
    expect(
      errorOf(() => validateEditRequest({ prompt: 'p', targetNew: 't', rephrase_prompt: 'q' }, 'r')).message,
    ).toContain("'rephrasePrompts' is missing (found 'rephrase_prompt'");
    expect(
      errorOf(() =>
        validateEditRequest(
          { prompt: 'p', targetNew: 't', locality: { nq: [{ prompt: 'q', ground_truth: 'a' }] } },
          'r',
        ),
      ).message,
    ).toBe(
      "r: field 'locality.nq[0].groundTruth' is missing (found 'ground_truth': request fields are camelCase)",
    );
  });
});

describe('validateEditRequests', () => {
  const second = {
    id: 'cf-18',
    prompt: 'Danielle Darrieux speaks',
    subject: 'Danielle Darrieux',
    targetNew: ' English',
  };

  it('validates every request', () => {
    expect(validateEditRequests([full, second], 'counterfact.json')).toEqual([full, second]);
    expect(validateEditRequests([], 'edit()')).toEqual([]);
  });

  it('names the source, the index and the id of the bad record', () => {
    const error = errorOf(() =>
      validateEditRequests([full, second, { id: 'cf-19', prompt: 'p' }, { prompt: 'q' }], 'counterfact.json'),
    );
    expect(error.record).toBe('counterfact.json: request 2 (id cf-19)');
    expect(error.message).toBe("counterfact.json: request 2 (id cf-19): field 'targetNew' is missing");
    const withoutId = errorOf(() => validateEditRequests([second, { prompt: 'q', targetNew: '' }], 'edit()'));
    expect(withoutId.message).toBe("edit(): request 1: field 'targetNew' must not be empty");
    const numericId = errorOf(() => validateEditRequests([{ ...second, id: 7 }], 'zsre.json'));
    expect(numericId.message).toBe("zsre.json: request 0 (id 7): field 'id' must be a string, got number 7");
  });

  it('rejects a non-list and duplicate ids', () => {
    expect(errorOf(() => validateEditRequests(full, 'data.json')).message).toBe(
      "data.json: field '(requests)' must be a list of edit requests, got an object",
    );
    const duplicate = errorOf(() =>
      validateEditRequests([full, second, { ...second, targetNew: ' French' }], 'x'),
    );
    expect(duplicate.message).toBe(
      "x: request 2 (id cf-18): field 'id' duplicates the id of request 1; ids must be unique",
    );
  });
});
