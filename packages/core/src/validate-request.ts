import { InvalidRequestError } from './errors/index.js';
import type { EditRequest, PromptAnswer } from './request.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

// snake_case spellings that EasyEdit and the raw datasets use, for a hint when the camelCase field is missing.
const snakeSpellings: Readonly<Record<string, string>> = {
  targetNew: 'target_new',
  groundTruth: 'ground_truth',
  rephrasePrompts: 'rephrase_prompt',
};

class RequestChecker {
  constructor(
    private readonly record: string,
    private readonly raw: Record<string, unknown>,
  ) {}

  fail(field: string, message: string): never {
    throw new InvalidRequestError(this.record, field, message);
  }

  text(value: unknown, field: string, options: { required: boolean; nonEmpty: boolean }): string | undefined {
    if (value === undefined) {
      if (!options.required) return undefined;
      const snake = snakeSpellings[field];
      const hint =
        snake !== undefined && this.raw[snake] !== undefined
          ? ` (found '${snake}': request fields are camelCase)`
          : '';
      return this.fail(field, `is missing${hint}`);
    }
    if (typeof value !== 'string') return this.fail(field, `must be a string, got ${describe(value)}`);
    if (options.nonEmpty && value.trim() === '') return this.fail(field, 'must not be empty');
    return value;
  }

  promptAnswers(value: unknown, field: string): Record<string, PromptAnswer[]> | undefined {
    if (value === undefined) return undefined;
    if (!isObject(value)) {
      return this.fail(
        field,
        `must be an object { name: [{ prompt, groundTruth }] }, got ${describe(value)}`,
      );
    }
    const result: Record<string, PromptAnswer[]> = {};
    for (const [name, probes] of Object.entries(value)) {
      const path = `${field}.${name}`;
      if (!Array.isArray(probes)) {
        return this.fail(path, `must be a list of { prompt, groundTruth }, got ${describe(probes)}`);
      }
      const checked = probes.map((probe, index) => this.promptAnswer(probe, `${path}[${index}]`));
      Object.defineProperty(result, name, {
        value: checked,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }

  private promptAnswer(value: unknown, path: string): PromptAnswer {
    if (!isObject(value))
      return this.fail(path, `must be an object { prompt, groundTruth }, got ${describe(value)}`);
    const prompt = this.text(value.prompt, `${path}.prompt`, { required: true, nonEmpty: true }) as string;
    const answer = value.groundTruth;
    if (answer === undefined) {
      const hint =
        value.ground_truth !== undefined ? " (found 'ground_truth': request fields are camelCase)" : '';
      return this.fail(`${path}.groundTruth`, `is missing${hint}`);
    }
    if (Array.isArray(answer)) {
      if (answer.length === 0) return this.fail(`${path}.groundTruth`, 'must not be an empty list');
      const aliases = answer.map(
        (alias, index) =>
          this.text(alias, `${path}.groundTruth[${index}]`, { required: true, nonEmpty: true }) as string,
      );
      return { prompt, groundTruth: aliases };
    }
    const groundTruth = this.text(answer, `${path}.groundTruth`, {
      required: true,
      nonEmpty: true,
    }) as string;
    return { prompt, groundTruth };
  }
}

/**
 * Check one edit request (from user code or a dataset file) and return a clean copy holding only the
 * `EditRequest` fields. Throws `InvalidRequestError` naming `recordName` and the field path
 * ('locality.neighborhood[2].groundTruth') on the first problem: a missing or empty prompt or target, a
 * subject that does not occur verbatim in the prompt, non-string rephrases, malformed locality or
 * portability probes. Unknown fields are dropped.
 *
 * @example
 * validateEditRequest({ prompt: 'The Eiffel Tower is in', subject: 'Eiffel Tower', targetNew: ' Rome' }, 'request 0');
 * validateEditRequest({ prompt: 'Paris is', subject: 'Rome', targetNew: ' big' }, 'request 0');
 * // InvalidRequestError: request 0: field 'subject' 'Rome' does not occur in the prompt 'Paris is'
 */
export function validateEditRequest(request: unknown, recordName: string): EditRequest {
  if (!isObject(request)) {
    throw new InvalidRequestError(recordName, '(request)', `must be an object, got ${describe(request)}`);
  }
  const check = new RequestChecker(recordName, request);
  const prompt = check.text(request.prompt, 'prompt', { required: true, nonEmpty: true }) as string;
  const result: EditRequest = {
    prompt,
    targetNew: check.text(request.targetNew, 'targetNew', { required: true, nonEmpty: true }) as string,
  };
  const id = check.text(request.id, 'id', { required: false, nonEmpty: true });
  if (id !== undefined) result.id = id;
  const subject = check.text(request.subject, 'subject', { required: false, nonEmpty: true });
  if (subject !== undefined) {
    if (!prompt.includes(subject)) {
      const template = prompt.includes('{}')
        ? " (the prompt looks like a template: fill '{}' with the subject)"
        : '';
      check.fail(
        'subject',
        `${JSON.stringify(subject)} does not occur in the prompt ${JSON.stringify(prompt)}${template}`,
      );
    }
    result.subject = subject;
  }
  const groundTruth = check.text(request.groundTruth, 'groundTruth', { required: false, nonEmpty: false });
  if (groundTruth !== undefined) result.groundTruth = groundTruth;
  if (request.rephrasePrompts !== undefined) {
    const rephrases = request.rephrasePrompts;
    if (!Array.isArray(rephrases)) {
      return check.fail('rephrasePrompts', `must be a list of strings, got ${describe(rephrases)}`);
    }
    result.rephrasePrompts = rephrases.map(
      (rephrase, index) =>
        check.text(rephrase, `rephrasePrompts[${index}]`, { required: true, nonEmpty: true }) as string,
    );
  } else if (request.rephrase_prompt !== undefined) {
    check.fail('rephrasePrompts', "is missing (found 'rephrase_prompt': request fields are camelCase)");
  }
  const locality = check.promptAnswers(request.locality, 'locality');
  if (locality !== undefined) result.locality = locality;
  const portability = check.promptAnswers(request.portability, 'portability');
  if (portability !== undefined) result.portability = portability;
  const image = check.text(request.image, 'image', { required: false, nonEmpty: true });
  if (image !== undefined) result.image = image;
  return result;
}

/** 'request 3 (id cf-17)': the index is the 0-based position in the list. */
function recordNameOf(source: string, index: number, request: unknown): string {
  const id = isObject(request) ? request.id : undefined;
  const shown = typeof id === 'string' || typeof id === 'number' ? ` (id ${id})` : '';
  return `${source === '' ? '' : `${source}: `}request ${index}${shown}`;
}

/**
 * Check a list of edit requests; errors name the source, the 0-based index and the id when there is one
 * ("counterfact.json: request 3 (id cf-17): field 'targetNew' must not be empty"). Ids must be unique,
 * because results and caches are keyed by them.
 *
 * @example
 * const requests = validateEditRequests(JSON.parse(text), 'my-edits.json');
 */
export function validateEditRequests(list: unknown, source: string): EditRequest[] {
  if (!Array.isArray(list)) {
    throw new InvalidRequestError(
      source,
      '(requests)',
      `must be a list of edit requests, got ${describe(list)}`,
    );
  }
  const firstIndexOfId = new Map<string, number>();
  return list.map((request: unknown, index) => {
    const record = recordNameOf(source, index, request);
    const checked = validateEditRequest(request, record);
    if (checked.id !== undefined) {
      const first = firstIndexOfId.get(checked.id);
      if (first !== undefined) {
        throw new InvalidRequestError(
          record,
          'id',
          `duplicates the id of request ${first}; ids must be unique`,
        );
      }
      firstIndexOfId.set(checked.id, index);
    }
    return checked;
  });
}
