import {
  asObject,
  fail,
  type LoadOptions,
  nonEmptyString,
  nonNegativeInteger,
  parseRecords,
  type RecordContext,
  type SkippedRecord,
} from './validate.js';

/**
 * One fact of ROME's `known_1000.json`: a prompt GPT-2 XL completes correctly. Used for causal tracing,
 * not for editing, so no EditRequest is built.
 */
export interface KnownFact {
  knownId: number;
  subject: string;
  /** The correct object. */
  attribute: string;
  /** Prompt with `{}` for the subject. */
  template: string;
  /** GPT-2 XL's greedy continuation. */
  prediction: string;
  prompt: string;
  relationId: string;
}

export function parseKnownFact(raw: unknown, ctx: RecordContext): KnownFact {
  const rec = asObject(ctx, raw, '(record)');
  const out: KnownFact = {
    knownId: nonNegativeInteger(ctx, rec.known_id, 'known_id'),
    subject: nonEmptyString(ctx, rec.subject, 'subject'),
    attribute: nonEmptyString(ctx, rec.attribute, 'attribute'),
    template: nonEmptyString(ctx, rec.template, 'template'),
    prediction: nonEmptyString(ctx, rec.prediction, 'prediction'),
    prompt: nonEmptyString(ctx, rec.prompt, 'prompt'),
    relationId: nonEmptyString(ctx, rec.relation_id, 'relation_id'),
  };
  if (!out.prompt.includes(out.subject)) fail(ctx, 'subject', `must occur in the prompt "${out.prompt}"`);
  return out;
}

/** Loads ROME's known-facts file (`known_1000.json`). */
export function loadKnownFacts(
  data: unknown,
  options: LoadOptions = {},
): { records: KnownFact[]; skipped: SkippedRecord[] } {
  const file = options.file ?? 'known facts data';
  return parseRecords(data, file, options.lenient ?? false, 'known_id', parseKnownFact);
}
