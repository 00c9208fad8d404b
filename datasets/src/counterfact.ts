import type { EditRequest, PromptAnswer } from '@llmedit/core';
import {
  asObject,
  fail,
  type JsonObject,
  type LoadOptions,
  type LoadResult,
  nonEmptyString,
  nonNegativeInteger,
  optionalNonEmptyString,
  optionalStringArray,
  parseRecords,
  type RecordContext,
  stringArray,
} from './validate.js';

/** A Wikidata object of a CounterFact rewrite: its label and, when given, its Q-id. */
export interface CounterFactTarget {
  str: string;
  id?: string;
}

/** EasyEdit's GPT-4 one-hop question about the new object (`portability` field). */
export interface CounterFactPortability {
  /** The fact the question relies on, e.g. "(Philadelphia, known for, cheesesteaks)". */
  recalledRelation?: string;
  question: string;
  answer: string;
}

/** A fact about the subject that the edit should not disturb (Distracting Neighbor set). */
export interface CounterFactUnrelatedRelation {
  relation: string;
  object: string;
  question: string;
}

/**
 * One CounterFact case in the ROME layout with every field the ROME evaluation suite uses: efficacy
 * (rewrite prompt), paraphrase and neighborhood scores compare `targetNew` with `targetTrue` on each
 * prompt list; attribute and generation prompts feed the consistency and fluency measures.
 */
export interface CounterFactRecord {
  caseId: number;
  pararelIdx?: number;
  relationId?: string;
  /** The rewrite prompt with `{}` where the subject goes, as stored. */
  promptTemplate: string;
  /** `promptTemplate` with the subject filled in. */
  prompt: string;
  subject: string;
  targetNew: CounterFactTarget;
  targetTrue: CounterFactTarget;
  paraphrasePrompts: string[];
  /** Prompts about other subjects that truly share `targetTrue` (must keep answering it). */
  neighborhoodPrompts: string[];
  /** Prompts about other subjects whose true answer is `targetNew`. */
  attributePrompts: string[];
  generationPrompts: string[];
  portability?: CounterFactPortability;
  /** Subject Replace set: another name of the subject. */
  alternativeSubject?: string;
  /** Distracting Neighbor set: neighborhood prompts preceded by the edited statement. */
  distractingNeighborhoodPrompts?: string[];
  unrelatedRelation?: CounterFactUnrelatedRelation;
}

const SUBJECT_SLOT = '{}';

function target(ctx: RecordContext, value: unknown, field: string): CounterFactTarget {
  const obj = asObject(ctx, value, field);
  const out: CounterFactTarget = { str: nonEmptyString(ctx, obj.str, `${field}.str`) };
  const id = optionalNonEmptyString(ctx, obj.id, `${field}.id`);
  if (id !== undefined) out.id = id;
  return out;
}

function portability(ctx: RecordContext, value: unknown): CounterFactPortability {
  const obj = asObject(ctx, value, 'portability');
  const out: CounterFactPortability = {
    question: nonEmptyString(ctx, obj['New Question'], 'portability.New Question'),
    answer: nonEmptyString(ctx, obj['New Answer'], 'portability.New Answer'),
  };
  const recalled = optionalNonEmptyString(ctx, obj['Recalled Relation'], 'portability.Recalled Relation');
  if (recalled !== undefined) out.recalledRelation = recalled;
  return out;
}

function unrelatedRelation(ctx: RecordContext, value: unknown): CounterFactUnrelatedRelation {
  const obj = asObject(ctx, value, 'unrelated_relation');
  return {
    relation: nonEmptyString(ctx, obj.relation_id, 'unrelated_relation.relation_id'),
    object: nonEmptyString(ctx, obj.object, 'unrelated_relation.object'),
    question: nonEmptyString(ctx, obj.question, 'unrelated_relation.question'),
  };
}

/** Validates one ROME-format CounterFact record (also the Subject Replace / Distracting Neighbor variants). */
export function parseCounterFactRecord(raw: unknown, ctx: RecordContext): CounterFactRecord {
  const rec: JsonObject = asObject(ctx, raw, '(record)');
  const caseId = nonNegativeInteger(ctx, rec.case_id, 'case_id');
  const rw = asObject(ctx, rec.requested_rewrite, 'requested_rewrite');
  const promptTemplate = nonEmptyString(ctx, rw.prompt, 'requested_rewrite.prompt');
  const subject = nonEmptyString(ctx, rw.subject, 'requested_rewrite.subject');
  const slots = promptTemplate.split(SUBJECT_SLOT).length - 1;
  if (slots !== 1) {
    fail(
      ctx,
      'requested_rewrite.prompt',
      `must contain the subject placeholder '{}' exactly once (found ${slots})`,
    );
  }
  const prompt = promptTemplate.replace(SUBJECT_SLOT, subject);
  const targetNew = target(ctx, rw.target_new, 'requested_rewrite.target_new');
  const targetTrue = target(ctx, rw.target_true, 'requested_rewrite.target_true');
  if (targetNew.str === targetTrue.str) {
    fail(ctx, 'requested_rewrite.target_new.str', 'must differ from requested_rewrite.target_true.str');
  }
  const out: CounterFactRecord = {
    caseId,
    promptTemplate,
    prompt,
    subject,
    targetNew,
    targetTrue,
    paraphrasePrompts: stringArray(ctx, rec.paraphrase_prompts, 'paraphrase_prompts'),
    neighborhoodPrompts: stringArray(ctx, rec.neighborhood_prompts, 'neighborhood_prompts'),
    attributePrompts: optionalStringArray(ctx, rec.attribute_prompts, 'attribute_prompts'),
    generationPrompts: optionalStringArray(ctx, rec.generation_prompts, 'generation_prompts'),
  };
  if (rec.pararel_idx !== undefined) out.pararelIdx = nonNegativeInteger(ctx, rec.pararel_idx, 'pararel_idx');
  const relationId = optionalNonEmptyString(ctx, rw.relation_id, 'requested_rewrite.relation_id');
  if (relationId !== undefined) out.relationId = relationId;
  if (rec.portability !== undefined) out.portability = portability(ctx, rec.portability);
  const alt = optionalNonEmptyString(ctx, rec.alternative_subject, 'alternative_subject');
  if (alt !== undefined) out.alternativeSubject = alt;
  if (rec.distracting_neighborhood_prompts !== undefined) {
    out.distractingNeighborhoodPrompts = stringArray(
      ctx,
      rec.distracting_neighborhood_prompts,
      'distracting_neighborhood_prompts',
    );
  }
  if (rec.unrelated_relation !== undefined)
    out.unrelatedRelation = unrelatedRelation(ctx, rec.unrelated_relation);
  return out;
}

/**
 * The EditRequest of a CounterFact case. Locality `neighborhood` probes expect the true object (they are
 * other subjects sharing it); portability carries the one-hop question and, for Subject Replace records,
 * the rewrite prompt with the alternative subject, which should now give the new object.
 */
export function counterFactToRequest(rec: CounterFactRecord): EditRequest {
  const truth = rec.targetTrue.str;
  const locality: Record<string, PromptAnswer[]> = {
    neighborhood: rec.neighborhoodPrompts.map((prompt) => ({ prompt, groundTruth: truth })),
  };
  if (rec.distractingNeighborhoodPrompts !== undefined) {
    locality.distractingNeighborhood = rec.distractingNeighborhoodPrompts.map((prompt) => ({
      prompt,
      groundTruth: truth,
    }));
  }
  if (rec.unrelatedRelation !== undefined) {
    // EasyEdit's "Other Attribution" locality: another fact about the same subject must survive.
    locality.otherAttribution = [
      { prompt: rec.unrelatedRelation.question, groundTruth: rec.unrelatedRelation.object },
    ];
  }
  const portabilityProbes: Record<string, PromptAnswer[]> = {};
  if (rec.portability !== undefined) {
    portabilityProbes.oneHop = [{ prompt: rec.portability.question, groundTruth: rec.portability.answer }];
  }
  if (rec.alternativeSubject !== undefined) {
    portabilityProbes.subjectReplace = [
      {
        prompt: rec.promptTemplate.replace(SUBJECT_SLOT, rec.alternativeSubject),
        groundTruth: rec.targetNew.str,
      },
    ];
  }
  const request: EditRequest = {
    id: String(rec.caseId),
    prompt: rec.prompt,
    subject: rec.subject,
    targetNew: rec.targetNew.str,
    groundTruth: truth,
    rephrasePrompts: rec.paraphrasePrompts,
    locality,
  };
  if (Object.keys(portabilityProbes).length > 0) request.portability = portabilityProbes;
  return request;
}

/**
 * Loads CounterFact in the ROME layout (`counterfact.json`, `multi_counterfact.json`, EasyEdit's
 * `counterfact_portability_gpt4.json`, `counterfact_subject_replace.json`, `counterfact_distracting_neighbor.json`).
 */
export function loadCounterFact(data: unknown, options: LoadOptions = {}): LoadResult<CounterFactRecord> {
  const file = options.file ?? 'CounterFact data';
  const { records, skipped } = parseRecords(
    data,
    file,
    options.lenient ?? false,
    'case_id',
    parseCounterFactRecord,
  );
  return { records, requests: records.map(counterFactToRequest), skipped };
}
