import type { Rng } from '@llmedit/core';
import type { CounterFactRecord, ZsreRecord } from '@llmedit/datasets';
import { formatIkeDemo, type IkeFact } from './ike-format.js';
import { relationKey, splitParaphrasePrompt } from './templates.js';
import { pick } from './text.js';

/**
 * EasyEdit's three IKE demonstration types: copy (the new fact's own prompt answered with the new target),
 * update (a paraphrase answered with the new target) and retain (an unrelated prompt keeping its answer).
 */
export const DEMO_TYPES = ['copy', 'update', 'retain'] as const;
export type DemoType = (typeof DEMO_TYPES)[number];

/** The pieces of one training record that demonstrations are made of. */
export interface DemoSource {
  newFact: IkeFact;
  /** Other phrasings of the edited prompt (answered with the new target). */
  rephrases: string[];
  /** Unrelated facts that keep their answer. */
  retain: IkeFact[];
}

/** CounterFact: paraphrases with and without their prefix as updates, neighborhood prompts as retains. */
export function counterFactDemoSource(
  rec: CounterFactRecord,
  pools: ReadonlyMap<string, readonly string[]>,
): DemoSource {
  const pool = pools.get(relationKey(rec)) ?? [rec.promptTemplate];
  const rephrases = new Set<string>();
  for (const prompt of rec.paraphrasePrompts) {
    rephrases.add(prompt);
    rephrases.add(splitParaphrasePrompt(prompt, rec.subject, pool).statement);
  }
  rephrases.delete(rec.prompt);
  return {
    newFact: { prompt: rec.prompt, target: rec.targetNew.str },
    rephrases: [...rephrases],
    retain: rec.neighborhoodPrompts.map((prompt) => ({ prompt, target: rec.targetTrue.str })),
  };
}

/** ZsRE: the rephrased question as update, the NQ question as retain. */
export function zsreDemoSource(rec: ZsreRecord): DemoSource {
  return {
    newFact: { prompt: rec.src, target: rec.alt },
    rephrases: [rec.rephrase],
    retain:
      rec.loc !== undefined && rec.locAns !== undefined ? [{ prompt: rec.loc, target: rec.locAns }] : [],
  };
}

/** One demonstration of the given type (undefined when the record has nothing of that type). */
export function makeDemo(rng: Rng, source: DemoSource, type: DemoType): string | undefined {
  const { newFact } = source;
  if (type === 'copy') return formatIkeDemo(newFact, newFact);
  if (type === 'update') {
    if (source.rephrases.length === 0) return undefined;
    return formatIkeDemo(newFact, { prompt: pick(rng, source.rephrases), target: newFact.target });
  }
  if (source.retain.length === 0) return undefined;
  return formatIkeDemo(newFact, pick(rng, source.retain));
}
