import type { CounterFactRecord } from '@llmedit/datasets';

/** The subject slot of CounterFact prompt templates. */
export const SUBJECT_SLOT = '{}';

/** A CounterFact paraphrase prompt cut into its random prefix text and the statement about the subject. */
export interface ParaphraseParts {
  /** Unrelated text generated before the statement ('' when there is none). */
  prefix: string;
  /** The paraphrased statement, e.g. 'Spike Hughes is native to'. */
  statement: string;
}

/** Key under which a record's templates are pooled (records without a relation id pool alone). */
export function relationKey(rec: CounterFactRecord): string {
  return rec.relationId ?? `template:${rec.promptTemplate}`;
}

/**
 * Pools the prompt templates of each relation across records: every record's rewrite template, plus, for
 * the records given as `paraphraseSources`, the templates of their paraphrase statements (the statement
 * with its subject replaced by `{}`), which adds phrasings the rewrite prompts lack ('{} is owned by').
 * Templates are returned in first-seen order so the pool is deterministic.
 */
export function poolRelationTemplates(
  records: readonly CounterFactRecord[],
  paraphraseSources: readonly CounterFactRecord[] = [],
): Map<string, string[]> {
  const pools = new Map<string, string[]>();
  const add = (key: string, template: string): void => {
    const pool = pools.get(key);
    if (pool === undefined) pools.set(key, [template]);
    else if (!pool.includes(template)) pool.push(template);
  };
  for (const rec of records) add(relationKey(rec), rec.promptTemplate);
  for (const rec of paraphraseSources) {
    const key = relationKey(rec);
    const known = pools.get(key) ?? [rec.promptTemplate];
    for (const prompt of rec.paraphrasePrompts) {
      const { statement } = splitParaphrasePrompt(prompt, rec.subject, known);
      const template = templateOf(statement, rec.subject);
      if (template !== undefined) add(key, template);
    }
  }
  return pools;
}

/** `statement` with its single subject occurrence replaced by `{}`; undefined if that is ambiguous. */
export function templateOf(statement: string, subject: string): string | undefined {
  const first = statement.indexOf(subject);
  if (first < 0 || statement.indexOf(subject, first + 1) >= 0 || statement.includes(SUBJECT_SLOT)) {
    return undefined;
  }
  return statement.slice(0, first) + SUBJECT_SLOT + statement.slice(first + subject.length);
}

export function fillTemplate(template: string, subject: string): string {
  return template.replace(SUBJECT_SLOT, subject);
}

/**
 * Splits a paraphrase prompt ('Amateur Athletic Union (AAU). Spike Hughes was born in') into prefix and
 * statement. CounterFact builds them as `prefix + ' ' + statement`, so first try the known templates of the
 * relation (longest first). Otherwise the statement starts at the last occurrence of the subject, extended
 * back over a short question-like lead-in ('What sport does ', 'The music label representing ') when that
 * lead-in starts a sentence.
 */
export function splitParaphrasePrompt(
  prompt: string,
  subject: string,
  templates: readonly string[],
): ParaphraseParts {
  const byLength = [...templates].sort((a, b) => b.length - a.length);
  for (const template of byLength) {
    const statement = fillTemplate(template, subject);
    if (prompt === statement) return { prefix: '', statement };
    if (prompt.endsWith(statement)) {
      const before = prompt.slice(0, prompt.length - statement.length);
      if (/\s$/.test(before)) return { prefix: before.trimEnd(), statement };
    }
  }
  const at = prompt.lastIndexOf(subject);
  if (at < 0) return { prefix: '', statement: prompt };
  const before = prompt.slice(0, at);
  const leadIn = /(?:^|[.!?]["')\]]?\s+|\n\s*)([A-Z][a-z]*(?: [a-z]+){0,5} )$/.exec(before);
  const start = leadIn?.[1] !== undefined ? at - leadIn[1].length : at;
  return { prefix: prompt.slice(0, start).trimEnd(), statement: prompt.slice(start) };
}
