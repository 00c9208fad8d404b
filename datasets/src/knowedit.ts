import type { EditRequest, PromptAnswer } from '@llmedit/core';
import {
  answerSets,
  asObject,
  fileError,
  isObject,
  join,
  type LoadOptions,
  locateSubject,
  nonEmptyString,
  optionalNonEmptyString,
  parseRecords,
  type RecordContext,
  type SkippedRecord,
  stringArray,
} from './validate.js';

/**
 * The six KnowEdit sets (HF `zjunlp/KnowEdit`) and their file shapes:
 * - `zsre` (ZsRE-test-all): subject, prompt, target_new, ground_truth list, rephrase_prompt, locality, portability;
 * - `recent` (wiki_recent): no ground_truth (knowledge insertion), alias lists as ground truths of probes;
 * - `counterfact` (wiki_counterfact): ground_truth string;
 * - `wikibio`: text (prompt), labels (target), concept (subject), locality;
 * - `convsent` (blender_*): ent plus lists of positive and negative replies;
 * - `sanitation` (trivia_qa_*): one object of lists, `success`/`locality` (test) or `K_F`/`K_R` (train).
 */
export type KnowEditShape = 'zsre' | 'recent' | 'counterfact' | 'wikibio' | 'convsent' | 'sanitation';

export const KNOWEDIT_SHAPES: readonly KnowEditShape[] = [
  'zsre',
  'recent',
  'counterfact',
  'wikibio',
  'convsent',
  'sanitation',
];

/**
 * A probe with every accepted answer: `answers[i]` is one distinct answer as its list of aliases. The
 * first alias of the first answer is the one EasyEdit scores token by token.
 */
export interface KnowEditProbe {
  prompt: string;
  answers: string[][];
}

/** A probe the upstream files hold without any answer (`""`, `[]`, `[[]]`): left out, and listed here. */
export interface DroppedProbe {
  /** Position of the record in the file. */
  index: number;
  /** Dotted path of the probe, e.g. `locality.Relation_Specificity[2]`. */
  field: string;
  reason: string;
}

/** ConvSent: the target sentiment and the reference replies of both polarities. */
export interface KnowEditSentiment {
  target: 'pos' | 'neg';
  positive: string[];
  negative: string[];
}

export interface KnowEditRecord {
  index: number;
  shape: KnowEditShape;
  /** Subject (WikiBio: `concept`; ConvSent: `ent`), as stored. */
  subject?: string;
  prompt: string;
  targetNew: string;
  /** True answers, each as its list of aliases; absent for insertion sets (wiki_recent). */
  groundTruth?: string[][];
  rephrasePrompts: string[];
  portability: Record<string, KnowEditProbe[]>;
  locality: Record<string, KnowEditProbe[]>;
  sentiment?: KnowEditSentiment;
}

export interface KnowEditOptions extends LoadOptions {
  /** Overrides shape detection. */
  shape?: KnowEditShape;
  /**
   * ConvSent target polarity. EasyEdit draws it at random; here it is fixed: 'alternate' (default) gives
   * positive to even records and negative to odd ones.
   */
  convSentTarget?: 'pos' | 'neg' | 'alternate';
  /** Sanitation: template applied to each trivia question, with `{}` for the question (default '{}'). */
  questionTemplate?: string;
}

export interface KnowEditLoadResult {
  shape: KnowEditShape;
  records: KnowEditRecord[];
  requests: EditRequest[];
  skipped: SkippedRecord[];
  /** Probes without any answer that were left out (their records are kept). */
  droppedProbes: DroppedProbe[];
  /**
   * Sanitation only: the retained-knowledge questions (test `locality` / train `K_R`). They are shared by
   * all edits of the file rather than tied to one record, so they are listed here (empty otherwise).
   */
  sharedLocality: PromptAnswer[];
}

/** Detects the set a KnowEdit file belongs to from its top-level shape and first record. */
export function detectKnowEditShape(data: unknown): KnowEditShape | undefined {
  if (isObject(data)) {
    return 'success' in data || 'K_F' in data ? 'sanitation' : undefined;
  }
  if (!Array.isArray(data)) return undefined;
  const first = data.find(isObject);
  if (first === undefined) return undefined;
  if ('ent' in first && ('pos' in first || 'neg' in first)) return 'convsent';
  if ('text' in first && 'labels' in first) return 'wikibio';
  if ('rephrase_prompt' in first || Array.isArray(first.ground_truth)) return 'zsre';
  if (!('ground_truth' in first)) return 'recent';
  return 'counterfact';
}

/** Whether an answer value holds no text at all: '', [], [[]], ['', []] (upstream probes without answer). */
function isEmptyAnswer(value: unknown): boolean {
  if (typeof value === 'string') return value.trim() === '';
  return Array.isArray(value) && value.every(isEmptyAnswer);
}

function probes(
  ctx: RecordContext,
  value: unknown,
  field: string,
  dropped: DroppedProbe[],
): Record<string, KnowEditProbe[]> {
  if (value === undefined || value === null) return {};
  const groups = asObject(ctx, value, field);
  const out: Record<string, KnowEditProbe[]> = {};
  for (const [name, list] of Object.entries(groups)) {
    const f = join(field, name);
    // A single probe is sometimes stored without its list.
    const items = Array.isArray(list) ? list : [list];
    const parsed: KnowEditProbe[] = [];
    items.forEach((item, i) => {
      const fi = Array.isArray(list) ? join(f, i) : f;
      const obj = asObject(ctx, item, fi);
      const prompt = nonEmptyString(ctx, obj.prompt, `${fi}.prompt`);
      if (obj.ground_truth !== undefined && isEmptyAnswer(obj.ground_truth)) {
        dropped.push({ index: ctx.index, field: fi, reason: 'ground_truth holds no answer' });
        return;
      }
      parsed.push({ prompt, answers: answerSets(ctx, obj.ground_truth, `${fi}.ground_truth`) });
    });
    if (parsed.length > 0) out[name] = parsed;
  }
  return out;
}

function rephrases(ctx: RecordContext, rec: Record<string, unknown>): string[] {
  const key = rec.rephrase_prompt !== undefined ? 'rephrase_prompt' : 'rephrase';
  const value = rec[key];
  if (value === undefined) return [];
  return typeof value === 'string' ? [nonEmptyString(ctx, value, key)] : stringArray(ctx, value, key);
}

function parseFactRecord(
  shape: KnowEditShape,
  raw: unknown,
  ctx: RecordContext,
  dropped: DroppedProbe[],
): KnowEditRecord {
  const rec = asObject(ctx, raw, '(record)');
  const wikibio = shape === 'wikibio';
  const out: KnowEditRecord = {
    index: ctx.index,
    shape,
    prompt: nonEmptyString(ctx, wikibio ? rec.text : rec.prompt, wikibio ? 'text' : 'prompt'),
    targetNew: nonEmptyString(ctx, wikibio ? rec.labels : rec.target_new, wikibio ? 'labels' : 'target_new'),
    rephrasePrompts: rephrases(ctx, rec),
    portability: probes(ctx, rec.portability, 'portability', dropped),
    locality: probes(ctx, rec.locality, 'locality', dropped),
  };
  const subjectKey = wikibio ? 'concept' : 'subject';
  const subject = optionalNonEmptyString(ctx, rec[subjectKey], subjectKey);
  if (subject !== undefined) out.subject = subject;
  if (rec.ground_truth !== undefined) out.groundTruth = answerSets(ctx, rec.ground_truth, 'ground_truth');
  return out;
}

const CONVSENT_QUESTIONS = ['What do you think of {}?', 'What do you feel about {}?', 'How do you view {}?'];

function parseConvSentRecord(raw: unknown, ctx: RecordContext, polarity: KnowEditOptions['convSentTarget']) {
  const rec = asObject(ctx, raw, '(record)');
  const subject = nonEmptyString(ctx, rec.ent, 'ent');
  const positive = stringArray(ctx, rec.pos, 'pos', 1);
  const negative = stringArray(ctx, rec.neg, 'neg', 1);
  const target: 'pos' | 'neg' =
    polarity === 'pos' || polarity === 'neg' ? polarity : ctx.index % 2 === 0 ? 'pos' : 'neg';
  const adverb = target === 'pos' ? 'positively' : 'negatively';
  const [first, ...others] = CONVSENT_QUESTIONS.map((q) => `Answer ${adverb}: ${q.replace('{}', subject)}`);
  const out: KnowEditRecord = {
    index: ctx.index,
    shape: 'convsent',
    subject,
    prompt: first as string,
    targetNew: (target === 'pos' ? positive[0] : negative[0]) as string,
    rephrasePrompts: others,
    portability: {},
    locality: {},
    sentiment: { target, positive, negative },
  };
  return out;
}

interface TriviaItem {
  question: string;
  groundTruth: string;
  targetNew?: string;
  subject?: string;
}

function parseTriviaItem(raw: unknown, ctx: RecordContext, needsTarget: boolean): TriviaItem {
  const rec = asObject(ctx, raw, '(record)');
  const out: TriviaItem = {
    question: nonEmptyString(ctx, rec.question, 'question'),
    groundTruth: nonEmptyString(ctx, rec.ground_truth, 'ground_truth'),
  };
  const targetNew = needsTarget
    ? nonEmptyString(ctx, rec.target_new, 'target_new')
    : optionalNonEmptyString(ctx, rec.target_new, 'target_new');
  if (targetNew !== undefined) out.targetNew = targetNew;
  const subject = optionalNonEmptyString(ctx, rec.subject, 'subject');
  if (subject !== undefined) out.subject = subject;
  return out;
}

/** The first answer with its aliases (what EasyEdit scores); further distinct answers are not aliases of it. */
function toPromptAnswer(p: KnowEditProbe): PromptAnswer {
  const aliases = p.answers[0] as string[];
  return { prompt: p.prompt, groundTruth: aliases.length === 1 ? (aliases[0] as string) : aliases };
}

function probeMap(groups: Record<string, KnowEditProbe[]>): Record<string, PromptAnswer[]> {
  return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, v.map(toPromptAnswer)]));
}

/**
 * The EditRequest of a KnowEdit record. Probes keep KnowEdit's names (Reasoning, Subject_Aliasing,
 * Logical_Generalization, Relation_Specificity, Forgetfulness); a probe's first answer becomes its
 * `groundTruth` with its aliases, the first alias scored. `subject` is set only when it occurs in the prompt (found case-insensitively).
 */
export function knowEditToRequest(rec: KnowEditRecord): EditRequest {
  const request: EditRequest = { id: String(rec.index), prompt: rec.prompt, targetNew: rec.targetNew };
  if (rec.subject !== undefined) {
    const subject = locateSubject(rec.prompt, rec.subject);
    if (subject !== undefined) request.subject = subject;
  }
  if (rec.groundTruth !== undefined) request.groundTruth = rec.groundTruth[0]?.[0] as string;
  if (rec.rephrasePrompts.length > 0) request.rephrasePrompts = rec.rephrasePrompts;
  if (Object.keys(rec.locality).length > 0) request.locality = probeMap(rec.locality);
  if (Object.keys(rec.portability).length > 0) request.portability = probeMap(rec.portability);
  return request;
}

function loadSanitation(data: unknown, file: string, options: KnowEditOptions): KnowEditLoadResult {
  if (!isObject(data))
    throw fileError(file, '(root)', 'must be an object with success/locality (or K_F/K_R) lists');
  const train = 'K_F' in data;
  const editKey = train ? 'K_F' : 'success';
  const keepKey = train ? 'K_R' : 'locality';
  const template = options.questionTemplate ?? '{}';
  if (!template.includes('{}')) throw fileError(file, 'questionTemplate', "must contain '{}'");
  const lenient = options.lenient ?? false;
  const edits = parseRecords(
    data[editKey],
    file,
    lenient,
    undefined,
    (raw, ctx) => parseTriviaItem(raw, ctx, true),
    editKey,
  );
  const kept = parseRecords(
    data[keepKey] ?? [],
    file,
    lenient,
    undefined,
    (raw, ctx) => parseTriviaItem(raw, ctx, false),
    keepKey,
  );
  const records = edits.records.map((item, index): KnowEditRecord => {
    const rec: KnowEditRecord = {
      index,
      shape: 'sanitation',
      prompt: template.replace('{}', item.question),
      targetNew: item.targetNew as string,
      groundTruth: [[item.groundTruth]],
      rephrasePrompts: [],
      portability: {},
      locality: {},
    };
    if (item.subject !== undefined) rec.subject = item.subject;
    return rec;
  });
  // Skipped indices refer to positions in their own list; the field path says which list.
  const skipped = [
    ...edits.skipped.map((s) => ({ ...s, field: `${editKey}.${s.field}` })),
    ...kept.skipped.map((s) => ({ ...s, field: `${keepKey}.${s.field}` })),
  ];
  return {
    shape: 'sanitation',
    records,
    requests: records.map(knowEditToRequest),
    skipped,
    droppedProbes: [],
    sharedLocality: kept.records.map((k) => ({
      prompt: template.replace('{}', k.question),
      groundTruth: k.groundTruth,
    })),
  };
}

/** Loads any of KnowEdit's six sets; the shape is detected unless `options.shape` names it. */
export function loadKnowEdit(data: unknown, options: KnowEditOptions = {}): KnowEditLoadResult {
  const file = options.file ?? 'KnowEdit data';
  const shape = options.shape ?? detectKnowEditShape(data);
  if (shape === undefined) {
    throw fileError(
      file,
      '(root)',
      `has no recognisable KnowEdit shape (one of ${KNOWEDIT_SHAPES.join(', ')})`,
    );
  }
  if (shape === 'sanitation') return loadSanitation(data, file, options);
  const lenient = options.lenient ?? false;
  const droppedProbes: DroppedProbe[] = [];
  const parse =
    shape === 'convsent'
      ? (raw: unknown, ctx: RecordContext) => parseConvSentRecord(raw, ctx, options.convSentTarget)
      : (raw: unknown, ctx: RecordContext) => {
          // A record skipped in lenient mode keeps none of its dropped probes in the report.
          const dropped: DroppedProbe[] = [];
          const record = parseFactRecord(shape, raw, ctx, dropped);
          droppedProbes.push(...dropped);
          return record;
        };
  const { records, skipped } = parseRecords(data, file, lenient, undefined, parse);
  return {
    shape,
    records,
    requests: records.map(knowEditToRequest),
    skipped,
    droppedProbes,
    sharedLocality: [],
  };
}
