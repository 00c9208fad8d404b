import type { EditRequest, PromptAnswer } from '@llmedit/core';
import type { CounterFactTarget } from './counterfact.js';
import {
  asObject,
  fail,
  join,
  type LoadOptions,
  nonEmptyString,
  nonNegativeInteger,
  optionalNonEmptyString,
  parseRecords,
  type RecordContext,
  type SkippedRecord,
  stringArray,
} from './validate.js';

/** One edited fact of a MQuAKE case (CounterFact-style rewrite plus its question form). */
export interface MquakeRewrite {
  /** Prompt with `{}` where the subject goes. */
  promptTemplate: string;
  prompt: string;
  subject: string;
  relationId?: string;
  targetNew: CounterFactTarget;
  targetTrue: CounterFactTarget;
  question: string;
}

/** One hop of the chain: a question, its cloze form and its answer with aliases. */
export interface MquakeHop {
  question: string;
  cloze: string;
  answer: string;
  answerAlias: string[];
}

/** Wikidata triples of the chain (ids and labels) before and after the edits. */
export interface MquakeChain {
  triples: string[][];
  triplesLabeled: string[][];
  newTriples: string[][];
  newTriplesLabeled: string[][];
  editTriples: string[][];
  editTriplesIdx: number[];
}

/**
 * A MQuAKE case: several edits that together change the answer of multi-hop questions. The questions
 * should be answered `newAnswer` (or an alias) after all `edits` are applied, `answer` before.
 */
export interface MquakeCase {
  caseId: number;
  rewrites: MquakeRewrite[];
  /** One EditRequest per rewrite, ids `<caseId>:<j>`; the rewrite's question is the rephrase. */
  edits: EditRequest[];
  questions: string[];
  answer: string;
  answerAlias: string[];
  newAnswer: string;
  newAnswerAlias: string[];
  singleHops: MquakeHop[];
  newSingleHops: MquakeHop[];
  orig?: MquakeChain;
  /** The multi-hop questions with [newAnswer, ...newAnswerAlias] as accepted answers (post-edit). */
  multiHop: PromptAnswer[];
  /** The multi-hop questions with [answer, ...answerAlias] (the pre-edit answers). */
  multiHopBefore: PromptAnswer[];
}

/** MQuAKE cases plus every case's edits flattened in order (`requests`). */
export interface MquakeLoadResult {
  records: MquakeCase[];
  requests: EditRequest[];
  skipped: SkippedRecord[];
}

function target(ctx: RecordContext, value: unknown, field: string): CounterFactTarget {
  const obj = asObject(ctx, value, field);
  const out: CounterFactTarget = { str: nonEmptyString(ctx, obj.str, `${field}.str`) };
  const id = optionalNonEmptyString(ctx, obj.id, `${field}.id`);
  if (id !== undefined) out.id = id;
  return out;
}

function rewrite(ctx: RecordContext, value: unknown, field: string): MquakeRewrite {
  const obj = asObject(ctx, value, field);
  const promptTemplate = nonEmptyString(ctx, obj.prompt, `${field}.prompt`);
  const subject = nonEmptyString(ctx, obj.subject, `${field}.subject`);
  if (promptTemplate.split('{}').length !== 2) {
    fail(ctx, `${field}.prompt`, "must contain the subject placeholder '{}' exactly once");
  }
  const out: MquakeRewrite = {
    promptTemplate,
    prompt: promptTemplate.replace('{}', subject),
    subject,
    targetNew: target(ctx, obj.target_new, `${field}.target_new`),
    targetTrue: target(ctx, obj.target_true, `${field}.target_true`),
    question: nonEmptyString(ctx, obj.question, `${field}.question`),
  };
  const relationId = optionalNonEmptyString(ctx, obj.relation_id, `${field}.relation_id`);
  if (relationId !== undefined) out.relationId = relationId;
  return out;
}

function hops(ctx: RecordContext, value: unknown, field: string): MquakeHop[] {
  if (!Array.isArray(value)) fail(ctx, field, 'must be an array of hops');
  return value.map((item, i) => {
    const f = join(field, i);
    const obj = asObject(ctx, item, f);
    return {
      question: nonEmptyString(ctx, obj.question, `${f}.question`),
      cloze: nonEmptyString(ctx, obj.cloze, `${f}.cloze`),
      answer: nonEmptyString(ctx, obj.answer, `${f}.answer`),
      answerAlias: stringArray(ctx, obj.answer_alias ?? [], `${f}.answer_alias`),
    };
  });
}

function triples(ctx: RecordContext, value: unknown, field: string): string[][] {
  if (!Array.isArray(value)) fail(ctx, field, 'must be an array of triples');
  return value.map((t, i) => {
    const f = join(field, i);
    if (!Array.isArray(t) || t.length !== 3) fail(ctx, f, 'must be a [subject, relation, object] triple');
    return t.map((x, j) => nonEmptyString(ctx, x, join(f, j)));
  });
}

function chain(ctx: RecordContext, value: unknown): MquakeChain {
  const obj = asObject(ctx, value, 'orig');
  const out = {
    triples: triples(ctx, obj.triples, 'orig.triples'),
    triplesLabeled: triples(ctx, obj.triples_labeled, 'orig.triples_labeled'),
    newTriples: triples(ctx, obj.new_triples, 'orig.new_triples'),
    newTriplesLabeled: triples(ctx, obj.new_triples_labeled, 'orig.new_triples_labeled'),
    editTriples: triples(ctx, obj.edit_triples, 'orig.edit_triples'),
  };
  const idx = obj.edit_triples_idx;
  if (!Array.isArray(idx)) fail(ctx, 'orig.edit_triples_idx', 'must be an array of triple indices');
  return {
    ...out,
    editTriplesIdx: idx.map((v, i) => nonNegativeInteger(ctx, v, `orig.edit_triples_idx[${i}]`)),
  };
}

function rewriteToRequest(caseId: number, j: number, rw: MquakeRewrite): EditRequest {
  return {
    id: `${caseId}:${j}`,
    prompt: rw.prompt,
    subject: rw.subject,
    targetNew: rw.targetNew.str,
    groundTruth: rw.targetTrue.str,
    rephrasePrompts: [rw.question],
  };
}

export function parseMquakeCase(raw: unknown, ctx: RecordContext): MquakeCase {
  const rec = asObject(ctx, raw, '(record)');
  const caseId = nonNegativeInteger(ctx, rec.case_id, 'case_id');
  if (!Array.isArray(rec.requested_rewrite) || rec.requested_rewrite.length === 0) {
    fail(ctx, 'requested_rewrite', 'must be a non-empty array of rewrites');
  }
  const rewrites = rec.requested_rewrite.map((r, j) => rewrite(ctx, r, `requested_rewrite[${j}]`));
  const questions = stringArray(ctx, rec.questions, 'questions', 1);
  const answer = nonEmptyString(ctx, rec.answer, 'answer');
  const answerAlias = stringArray(ctx, rec.answer_alias ?? [], 'answer_alias');
  const newAnswer = nonEmptyString(ctx, rec.new_answer, 'new_answer');
  const newAnswerAlias = stringArray(ctx, rec.new_answer_alias ?? [], 'new_answer_alias');
  const out: MquakeCase = {
    caseId,
    rewrites,
    edits: rewrites.map((rw, j) => rewriteToRequest(caseId, j, rw)),
    questions,
    answer,
    answerAlias,
    newAnswer,
    newAnswerAlias,
    singleHops: hops(ctx, rec.single_hops ?? [], 'single_hops'),
    newSingleHops: hops(ctx, rec.new_single_hops ?? [], 'new_single_hops'),
    multiHop: questions.map((prompt) => ({ prompt, groundTruth: [newAnswer, ...newAnswerAlias] })),
    multiHopBefore: questions.map((prompt) => ({ prompt, groundTruth: [answer, ...answerAlias] })),
  };
  if (rec.orig !== undefined) out.orig = chain(ctx, rec.orig);
  return out;
}

/** Loads MQuAKE (`MQuAKE-CF-3k.json`, `MQuAKE-T.json`, `MQuAKE-hard.json`). */
export function loadMquake(data: unknown, options: LoadOptions = {}): MquakeLoadResult {
  const file = options.file ?? 'MQuAKE data';
  const { records, skipped } = parseRecords(data, file, options.lenient ?? false, 'case_id', parseMquakeCase);
  return { records, requests: records.flatMap((c) => c.edits), skipped };
}
