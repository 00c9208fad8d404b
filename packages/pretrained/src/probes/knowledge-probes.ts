import { createRng, InvalidHparamsError } from '@llmedit/core';
import { counterFactDemoSource, DEMO_TYPES, makeDemo } from '../corpus/ike-demos.js';
import { formatIkePrompt } from '../corpus/ike-format.js';
import { type CorpusSources, loadCorpusSources } from '../corpus/sources.js';
import { poolRelationTemplates, relationKey, splitParaphrasePrompt } from '../corpus/templates.js';
import { sampleIndices } from '../corpus/text.js';

/** A prompt and the object the model should continue it with (no leading space on the target). */
export interface KnowledgeProbe {
  prompt: string;
  target: string;
  /** Id of the evaluation-split record it comes from (CounterFact case id or ZsRE file index). */
  id: string;
}

export const PROBE_SETS = [
  'rewrite',
  'neighborhood',
  'paraphrase',
  'paraphraseNoPrefix',
  'zsre',
  'nq',
  'inContext',
] as const;
export type ProbeSetName = (typeof PROBE_SETS)[number];
export type KnowledgeProbes = Record<ProbeSetName, KnowledgeProbe[]>;

export interface KnowledgeProbeOptions {
  /** At most this many probes per set (for quick periodic evaluations). Default: all. */
  limit?: number;
  /** Seed of the in-context demonstrations. Default 0. */
  seed?: number;
  /** Demonstrations before each in-context query. Default 3. */
  inContextDemos?: number;
  /** Pre-loaded records. */
  sources?: CorpusSources;
}

/**
 * What the pretrained model should know, measured on the evaluation split only (the records the benchmark
 * edits): CounterFact rewrite, neighborhood and paraphrase prompts with their true object, ZsRE questions,
 * NQ locality questions, and an in-context update test ('New Fact: {prompt} {target_new}\nPrompt: {prompt}'
 * after training-split demonstrations, answered with target_new). Sets with several prompts per record are
 * interleaved across records (first prompt of every record, then the second, ...) so that a `limit` still
 * spreads over many records.
 */
export function buildKnowledgeProbes(options: KnowledgeProbeOptions = {}): KnowledgeProbes {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const k = options.inContextDemos ?? 3;
  const seed = options.seed ?? 0;
  if (!(limit >= 0)) throw new InvalidHparamsError('limit', `must be non-negative, got ${limit}`);
  if (!Number.isInteger(k) || k < 0)
    throw new InvalidHparamsError('inContextDemos', `must be a non-negative integer, got ${k}`);
  if (!Number.isInteger(seed)) throw new InvalidHparamsError('seed', 'must be an integer');
  const src = options.sources ?? loadCorpusSources();
  const cfEval = src.counterfact.eval;
  const cfTrain = src.counterfact.train;
  const pools = poolRelationTemplates([...cfEval, ...cfTrain], cfTrain);

  const rewrite = cfEval.map((r) => ({ prompt: r.prompt, target: r.targetTrue.str, id: String(r.caseId) }));
  const neighborhood = interleave(
    cfEval.map((r) =>
      r.neighborhoodPrompts.map((prompt) => ({ prompt, target: r.targetTrue.str, id: String(r.caseId) })),
    ),
  );
  const paraphrase = interleave(
    cfEval.map((r) =>
      r.paraphrasePrompts.map((prompt) => ({ prompt, target: r.targetTrue.str, id: String(r.caseId) })),
    ),
  );
  const paraphraseNoPrefix = interleave(
    cfEval.map((r) =>
      r.paraphrasePrompts.map((prompt) => ({
        prompt: splitParaphrasePrompt(prompt, r.subject, pools.get(relationKey(r)) ?? [r.promptTemplate])
          .statement,
        target: r.targetTrue.str,
        id: String(r.caseId),
      })),
    ),
  );
  const zsre = src.zsre.eval.map((r) => ({
    prompt: r.src,
    target: r.answers[0] as string,
    id: String(r.index),
  }));
  const nq = src.zsre.eval.flatMap((r) =>
    r.loc !== undefined && r.locAns !== undefined
      ? [{ prompt: r.loc, target: r.locAns, id: String(r.index) }]
      : [],
  );

  // Demonstrations come from the training split only, drawn per record from its own stream so a record's
  // context does not depend on which other records are probed.
  const demoSources = cfTrain.map((r) => counterFactDemoSource(r, pools));
  const root = createRng(seed);
  const inContext = cfEval.map((r, i) => {
    const rng = root.fork(i + 1);
    const demos: string[] = [];
    for (const j of sampleIndices(rng, demoSources.length, demoSources.length)) {
      if (demos.length >= k) break;
      const type = DEMO_TYPES[rng.int(DEMO_TYPES.length)] ?? 'copy';
      const demo = makeDemo(rng, demoSources[j] as (typeof demoSources)[number], type);
      if (demo !== undefined) demos.push(demo);
    }
    const newFact = { prompt: r.prompt, target: r.targetNew.str };
    return {
      prompt: formatIkePrompt(demos, newFact, r.prompt),
      target: r.targetNew.str,
      id: String(r.caseId),
    };
  });

  const sets: KnowledgeProbes = {
    rewrite,
    neighborhood,
    paraphrase,
    paraphraseNoPrefix,
    zsre,
    nq,
    inContext,
  };
  for (const name of PROBE_SETS) sets[name] = sets[name].slice(0, limit);
  return sets;
}

/** Round-robin over the records' lists: every record's first item, then every record's second, ... */
function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = lists.reduce((m, l) => Math.max(m, l.length), 0);
  for (let j = 0; j < longest; j++) {
    for (const list of lists) if (j < list.length) out.push(list[j] as T);
  }
  return out;
}
