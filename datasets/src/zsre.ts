import type { EditRequest, PromptAnswer } from '@llmedit/core';
import {
  asObject,
  fail,
  type LoadOptions,
  type LoadResult,
  locateSubject,
  nonEmptyString,
  optionalNonEmptyString,
  parseRecords,
  type RecordContext,
  stringArray,
} from './validate.js';

/** EasyEdit's GPT-4 one-hop question (`portability` field of `zsre_mend_eval_portability_gpt4.json`). */
export interface ZsrePortability {
  recalledRelation?: string;
  question: string;
  answer: string;
}

/**
 * One zsRE record in the MEND/ROME layout. zsRE has no case ids: `index` (the position in the source
 * file, from 0) is the record's stable id.
 */
export interface ZsreRecord {
  index: number;
  subject: string;
  /** The edit question. */
  src: string;
  /** The prediction of the model MEND was trained on (not the truth); kept for SERAC's `cond`. */
  pred?: string;
  rephrase: string;
  /** The new answer the edit installs. */
  alt: string;
  /** The true answers; the first is the ground truth. */
  answers: string[];
  /** Natural Questions locality probe (starts with "nq question:") and its answer. */
  loc?: string;
  locAns?: string;
  cond?: string;
  portability?: ZsrePortability;
  /** Subject Replace set: another name of the subject and the question asked with it. */
  alternativeSubject?: string;
  alterSubjectQuestion?: string;
  /** Inverse Relation set: the question whose answer is the subject once the edit is made. */
  inverseQuestion?: string;
}

export function parseZsreRecord(raw: unknown, ctx: RecordContext): ZsreRecord {
  const rec = asObject(ctx, raw, '(record)');
  const out: ZsreRecord = {
    index: ctx.index,
    subject: nonEmptyString(ctx, rec.subject, 'subject'),
    src: nonEmptyString(ctx, rec.src, 'src'),
    rephrase: nonEmptyString(ctx, rec.rephrase, 'rephrase'),
    alt: nonEmptyString(ctx, rec.alt, 'alt'),
    answers: stringArray(ctx, rec.answers, 'answers', 1),
  };
  const pred = optionalNonEmptyString(ctx, rec.pred, 'pred');
  if (pred !== undefined) out.pred = pred;
  const cond = optionalNonEmptyString(ctx, rec.cond, 'cond');
  if (cond !== undefined) out.cond = cond;
  if (rec.loc !== undefined || rec.loc_ans !== undefined) {
    // A locality prompt without its answer (or the reverse) cannot be scored, so both are required.
    out.loc = nonEmptyString(ctx, rec.loc, 'loc');
    out.locAns = nonEmptyString(ctx, rec.loc_ans, 'loc_ans');
  }
  if (rec.portability !== undefined) {
    const p = asObject(ctx, rec.portability, 'portability');
    const portability: ZsrePortability = {
      question: nonEmptyString(ctx, p['New Question'], 'portability.New Question'),
      answer: nonEmptyString(ctx, p['New Answer'], 'portability.New Answer'),
    };
    const recalled = optionalNonEmptyString(ctx, p['Recalled Relation'], 'portability.Recalled Relation');
    if (recalled !== undefined) portability.recalledRelation = recalled;
    out.portability = portability;
  }
  const altSubject = optionalNonEmptyString(ctx, rec.alternative_subject, 'alternative_subject');
  const altQuestion = optionalNonEmptyString(ctx, rec.alter_subject_question, 'alter_subject_question');
  if ((altSubject === undefined) !== (altQuestion === undefined)) {
    fail(
      ctx,
      altSubject === undefined ? 'alternative_subject' : 'alter_subject_question',
      'must be given together with its Subject Replace partner field',
    );
  }
  if (altSubject !== undefined && altQuestion !== undefined) {
    out.alternativeSubject = altSubject;
    out.alterSubjectQuestion = altQuestion;
  }
  const inverse = optionalNonEmptyString(ctx, rec['inverse question'], 'inverse question');
  if (inverse !== undefined) out.inverseQuestion = inverse;
  return out;
}

/**
 * The EditRequest of a zsRE record, mapped as EasyEdit's ZsreDataset does (src -> prompt, alt -> target,
 * answers[0] -> ground truth). `subject` is set only when it can be found in the question (a handful of
 * Subject Replace / Inverse Relation records spell it differently), since methods locate it there.
 */
export function zsreToRequest(rec: ZsreRecord): EditRequest {
  const request: EditRequest = {
    id: String(rec.index),
    prompt: rec.src,
    targetNew: rec.alt,
    groundTruth: rec.answers[0] as string,
    rephrasePrompts: [rec.rephrase],
  };
  const subject = locateSubject(rec.src, rec.subject);
  if (subject !== undefined) request.subject = subject;
  if (rec.loc !== undefined && rec.locAns !== undefined) {
    request.locality = { neighborhood: [{ prompt: rec.loc, groundTruth: rec.locAns }] };
  }
  const portability: Record<string, PromptAnswer[]> = {};
  if (rec.portability !== undefined) {
    portability.oneHop = [{ prompt: rec.portability.question, groundTruth: rec.portability.answer }];
  }
  if (rec.alterSubjectQuestion !== undefined) {
    portability.subjectReplace = [{ prompt: rec.alterSubjectQuestion, groundTruth: rec.alt }];
  }
  if (rec.inverseQuestion !== undefined) {
    portability.inverseRelation = [{ prompt: rec.inverseQuestion, groundTruth: rec.subject }];
  }
  if (Object.keys(portability).length > 0) request.portability = portability;
  return request;
}

/**
 * The EditRequest of a zsRE record under ROME's own zsRE protocol (kmeng01/rome `dsets/zsre.py`,
 * `MENDQADataset`): the edit installs the true answer `answers[0]` (not `alt`) on `src`, with `rephrase` as
 * the paraphrase and the NQ question (`loc`, `loc_ans`) as the neighborhood probe. `groundTruth` is also
 * `answers[0]` (ROME's `target_true` is a placeholder its zsRE metrics never read). Evaluate it with
 * `@llmedit/evaluate`'s `'rome-zsre'` suite, which appends ROME's "?" to the NQ question.
 */
export function zsreToRomeRequest(rec: ZsreRecord): EditRequest {
  const answer = rec.answers[0] as string;
  const request: EditRequest = {
    id: String(rec.index),
    prompt: rec.src,
    targetNew: answer,
    groundTruth: answer,
    rephrasePrompts: [rec.rephrase],
  };
  const subject = locateSubject(rec.src, rec.subject);
  if (subject !== undefined) request.subject = subject;
  if (rec.loc !== undefined && rec.locAns !== undefined) {
    request.locality = { neighborhood: [{ prompt: rec.loc, groundTruth: rec.locAns }] };
  }
  return request;
}

/**
 * Loads zsRE in the MEND layout (`zsre_mend_eval.json`, `zsre_mend_eval_portability_gpt4.json`) and
 * EasyEdit's `zsre_subject_replace.json` / `zsre_inverse_relation.json` variants.
 */
export function loadZsre(data: unknown, options: LoadOptions = {}): LoadResult<ZsreRecord> {
  const file = options.file ?? 'zsRE data';
  const { records, skipped } = parseRecords(data, file, options.lenient ?? false, undefined, parseZsreRecord);
  return { records, requests: records.map(zsreToRequest), skipped };
}
