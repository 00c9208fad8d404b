import type { EditRequest } from '@llmedit/core';
import {
  asObject,
  fail,
  type LoadOptions,
  type LoadResult,
  nonEmptyString,
  nonNegativeInteger,
  parseRecords,
  type RecordContext,
} from './validate.js';

/** One record of EasyEdit's flattened CounterFact split (`counterfact-{train,val,edit}.json`). */
export interface CounterFactFlatRecord {
  caseId: number;
  prompt: string;
  subject: string;
  targetNew: string;
  groundTruth: string;
  rephrasePrompt: string;
  localityPrompt: string;
  localityGroundTruth: string;
}

export function parseCounterFactFlatRecord(raw: unknown, ctx: RecordContext): CounterFactFlatRecord {
  const rec = asObject(ctx, raw, '(record)');
  const out: CounterFactFlatRecord = {
    caseId: nonNegativeInteger(ctx, rec.case_id, 'case_id'),
    prompt: nonEmptyString(ctx, rec.prompt, 'prompt'),
    subject: nonEmptyString(ctx, rec.subject, 'subject'),
    targetNew: nonEmptyString(ctx, rec.target_new, 'target_new'),
    groundTruth: nonEmptyString(ctx, rec.ground_truth, 'ground_truth'),
    rephrasePrompt: nonEmptyString(ctx, rec.rephrase_prompt, 'rephrase_prompt'),
    localityPrompt: nonEmptyString(ctx, rec.locality_prompt, 'locality_prompt'),
    localityGroundTruth: nonEmptyString(ctx, rec.locality_ground_truth, 'locality_ground_truth'),
  };
  if (!out.prompt.includes(out.subject)) fail(ctx, 'subject', `must occur in the prompt "${out.prompt}"`);
  if (out.targetNew === out.groundTruth) fail(ctx, 'target_new', 'must differ from ground_truth');
  return out;
}

export function counterFactFlatToRequest(rec: CounterFactFlatRecord): EditRequest {
  return {
    id: String(rec.caseId),
    prompt: rec.prompt,
    subject: rec.subject,
    targetNew: rec.targetNew,
    groundTruth: rec.groundTruth,
    rephrasePrompts: [rec.rephrasePrompt],
    locality: { neighborhood: [{ prompt: rec.localityPrompt, groundTruth: rec.localityGroundTruth }] },
  };
}

/** Loads CounterFact in EasyEdit's flat format (one paraphrase and one neighborhood prompt per case). */
export function loadCounterFactEasyEdit(
  data: unknown,
  options: LoadOptions = {},
): LoadResult<CounterFactFlatRecord> {
  const file = options.file ?? 'CounterFact (EasyEdit) data';
  const { records, skipped } = parseRecords(
    data,
    file,
    options.lenient ?? false,
    'case_id',
    parseCounterFactFlatRecord,
  );
  return { records, requests: records.map(counterFactFlatToRequest), skipped };
}
