import type { CounterFactRecord, ZsreRecord } from '@llmedit/datasets';
import { fillTemplate, relationKey, splitParaphrasePrompt } from './templates.js';

/** What must never reach pretraining, by kind (each list deduplicated, in source order). */
export interface HeldOutStrings {
  /** Evaluation-split paraphrase prompts (CounterFact, with their prefix) and rephrase questions (ZsRE). */
  paraphrases: string[];
  /** Evaluation-split portability questions of both data sets. */
  portability: string[];
  /**
   * Counterfactual statements of the evaluation split: rewrite prompt, each paraphrase prompt, each
   * paraphrase statement without its prefix and (CounterFact) every pooled template of the relation filled
   * with the subject, each followed by ' ' + target_new. The brief asks for the first two; the others close
   * the other ways the same counterfactual could be phrased.
   */
  counterfactuals: string[];
  /** Evaluation-split paraphrase statements stripped of their prefix (held out only when asked). */
  paraphraseStatements: string[];
}

export function collectHeldOutStrings(
  counterfactEval: readonly CounterFactRecord[],
  zsreEval: readonly ZsreRecord[],
  templatePools: ReadonlyMap<string, readonly string[]>,
): HeldOutStrings {
  const paraphrases = new Set<string>();
  const portability = new Set<string>();
  const counterfactuals = new Set<string>();
  const statements = new Set<string>();
  for (const rec of counterfactEval) {
    const target = rec.targetNew.str;
    const pool = templatePools.get(relationKey(rec)) ?? [rec.promptTemplate];
    counterfactuals.add(`${rec.prompt} ${target}`);
    for (const prompt of rec.paraphrasePrompts) {
      paraphrases.add(prompt);
      counterfactuals.add(`${prompt} ${target}`);
      const { statement } = splitParaphrasePrompt(prompt, rec.subject, pool);
      statements.add(statement);
      counterfactuals.add(`${statement} ${target}`);
    }
    for (const template of pool) counterfactuals.add(`${fillTemplate(template, rec.subject)} ${target}`);
    if (rec.portability !== undefined) portability.add(rec.portability.question);
  }
  for (const rec of zsreEval) {
    paraphrases.add(rec.rephrase);
    counterfactuals.add(`${rec.src} ${rec.alt}`);
    counterfactuals.add(`${rec.rephrase} ${rec.alt}`);
    if (rec.portability !== undefined) portability.add(rec.portability.question);
  }
  return {
    paraphrases: [...paraphrases],
    portability: [...portability],
    counterfactuals: [...counterfactuals],
    paraphraseStatements: [...statements],
  };
}
