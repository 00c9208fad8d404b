import type { EditRequest } from '@llmedit/core';
import { InvalidRequestError, LlmeditError } from '@llmedit/core';

/** Options shared by every loader. */
export interface LoadOptions {
  /** Name used in error messages (a loader's `...File` variant passes the file's base name). */
  file?: string;
  /** Skip malformed records and list them in `skipped` instead of throwing on the first one. */
  lenient?: boolean;
}

/** A record that lenient mode left out, with the reason strict mode would have thrown. */
export interface SkippedRecord {
  /** Position of the record in its source list. */
  index: number;
  /** The record's case id, when it has one that could be read. */
  caseId?: string;
  /** Dotted path of the offending field, e.g. `requested_rewrite.target_new.str`. */
  field: string;
  /** The full error message (file, record, field and reason). */
  message: string;
}

/** What a loader returns: typed source records, the edit requests built from them (same order), skips. */
export interface LoadResult<R> {
  records: R[];
  requests: EditRequest[];
  skipped: SkippedRecord[];
}

/** Where a record came from; every validation failure names it. */
export interface RecordContext {
  file: string;
  index: number;
  caseId?: string;
  /** Extra words placed before "record", e.g. the list name in a Sanitation file. */
  list?: string;
}

export type JsonObject = Record<string, unknown>;

export function recordLabel(ctx: RecordContext): string {
  const list = ctx.list === undefined ? '' : ` ${ctx.list}`;
  const id = ctx.caseId === undefined ? '' : ` (case ${ctx.caseId})`;
  return `${ctx.file}${list} record ${ctx.index}${id}`;
}

export function fail(ctx: RecordContext, field: string, message: string): never {
  throw new InvalidRequestError(recordLabel(ctx), field, message);
}

/** Error for a problem with the file as a whole (not JSON, wrong top-level type). */
export function fileError(file: string, field: string, message: string): InvalidRequestError {
  return new InvalidRequestError(file, field, message);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function join(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix === '' ? key : `${prefix}.${key}`;
}

export function asObject(ctx: RecordContext, value: unknown, field: string): JsonObject {
  if (!isObject(value)) fail(ctx, field, 'must be an object');
  return value;
}

/** A string that is not empty once trimmed (targets and prompts of whitespace only are useless). */
export function nonEmptyString(ctx: RecordContext, value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(ctx, field, 'must be a non-empty string');
  return value;
}

export function optionalNonEmptyString(
  ctx: RecordContext,
  value: unknown,
  field: string,
): string | undefined {
  return value === undefined ? undefined : nonEmptyString(ctx, value, field);
}

/** A list of non-empty strings; `minLength` guards lists a format requires to be populated. */
export function stringArray(ctx: RecordContext, value: unknown, field: string, minLength = 0): string[] {
  if (!Array.isArray(value)) fail(ctx, field, 'must be an array of non-empty strings');
  if (value.length < minLength) {
    fail(ctx, field, `must hold at least ${minLength} non-empty string${minLength === 1 ? '' : 's'}`);
  }
  return value.map((item, i) => nonEmptyString(ctx, item, join(field, i)));
}

export function optionalStringArray(ctx: RecordContext, value: unknown, field: string): string[] {
  return value === undefined ? [] : stringArray(ctx, value, field);
}

export function nonNegativeInteger(ctx: RecordContext, value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(ctx, field, 'must be a non-negative integer');
  }
  return value;
}

/**
 * An answer given as one string, a list of alternatives, or a list of alias lists (KnowEdit); flattened
 * in order so that the first entry is the one EasyEdit's scripts score.
 */
export function answerAliases(ctx: RecordContext, value: unknown, field: string): string[] {
  return answerSets(ctx, value, field).flat();
}

/**
 * Answers as one alias list per distinct answer: a string is one answer; a list of strings is one answer
 * and its aliases; a list holding lists (KnowEdit's `[["Kai Wegner", "Kai Peter Wegner"], ["..."]]`) is
 * one answer per element. Distinct answers are never merged into one alias list.
 */
export function answerSets(ctx: RecordContext, value: unknown, field: string): string[][] {
  if (typeof value === 'string') return [[nonEmptyString(ctx, value, field)]];
  if (!Array.isArray(value)) fail(ctx, field, 'must be a string or a list of strings (or of alias lists)');
  if (value.length === 0) fail(ctx, field, 'must contain at least one non-empty answer');
  if (!value.some(Array.isArray)) return [value.map((item, i) => nonEmptyString(ctx, item, join(field, i)))];
  return value.map((item, i) => {
    if (!Array.isArray(item)) return [nonEmptyString(ctx, item, join(field, i))];
    if (item.length === 0) fail(ctx, join(field, i), 'must contain at least one non-empty answer');
    return item.map((alias, j) => nonEmptyString(ctx, alias, `${join(field, i)}[${j}]`));
  });
}

/** Reads a record's id before full validation, so that errors name the case. */
export function peekCaseId(raw: unknown, key: string): string | undefined {
  if (!isObject(raw)) return undefined;
  const id = raw[key];
  return typeof id === 'number' || (typeof id === 'string' && id !== '') ? String(id) : undefined;
}

/**
 * Finds `subject` in `prompt` verbatim, or with different letter case (zsRE questions sometimes lower-case
 * a word of the subject), and returns the text as it stands in the prompt; undefined when absent.
 */
export function locateSubject(prompt: string, subject: string): string | undefined {
  if (prompt.includes(subject)) return subject;
  const at = prompt.toLowerCase().indexOf(subject.toLowerCase());
  // Lower-casing can change lengths for a few scripts; only trust the match when it cannot have.
  if (at < 0 || prompt.toLowerCase().length !== prompt.length) return undefined;
  return prompt.slice(at, at + subject.length);
}

/**
 * Runs `parse` over every record of a top-level array. Strict mode lets the first InvalidRequestError
 * through; lenient mode records it in `skipped` and goes on. Other errors are bugs and always propagate.
 */
export function parseRecords<R>(
  data: unknown,
  file: string,
  lenient: boolean,
  caseIdKey: string | undefined,
  parse: (raw: unknown, ctx: RecordContext) => R,
  list?: string,
): { records: R[]; skipped: SkippedRecord[] } {
  if (!Array.isArray(data)) {
    throw fileError(file, list ?? '(root)', 'must be an array of records');
  }
  const records: R[] = [];
  const skipped: SkippedRecord[] = [];
  // Ids become request ids and keys of results: two records with one id would overwrite each other.
  const seen = new Map<string, number>();
  data.forEach((raw, index) => {
    const caseId = caseIdKey === undefined ? undefined : peekCaseId(raw, caseIdKey);
    const ctx: RecordContext = { file, index };
    if (caseId !== undefined) ctx.caseId = caseId;
    if (list !== undefined) ctx.list = list;
    try {
      const first = caseId === undefined ? undefined : seen.get(caseId);
      if (first !== undefined) {
        fail(ctx, caseIdKey as string, `${caseId} is also the id of record ${first}; ids must be unique`);
      }
      records.push(parse(raw, ctx));
      if (caseId !== undefined) seen.set(caseId, index);
    } catch (error) {
      // isInstance/code rather than instanceof: robust to two copies of @llmedit/core in one process.
      if (!lenient || !LlmeditError.isInstance(error) || error.code !== 'INVALID_REQUEST') throw error;
      const field = (error as InvalidRequestError).field;
      const entry: SkippedRecord = { index, field, message: error.message };
      if (caseId !== undefined) entry.caseId = caseId;
      skipped.push(entry);
    }
  });
  if (records.length === 0 && skipped.length > 0) {
    // A lenient load that keeps nothing is a wrong file or format, not a few bad records.
    throw fileError(
      file,
      list ?? '(root)',
      `has no valid record: lenient mode skipped all ${skipped.length} (the first: ${skipped[0]?.message})`,
    );
  }
  return { records, skipped };
}
