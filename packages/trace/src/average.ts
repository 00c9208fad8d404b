// Averaged causal traces, Meng et al. 2022 section 2.2 and figure 2: the average indirect effect
// AIE = mean over facts of (P*_{clean h_i^(l)}[o] - P*[o]), with tokens grouped by their role around the subject.
import { createRng, InvalidRequestError } from '@llmedit/core';
import type { KnownFact } from '@llmedit/datasets';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { type CausalTrace, embeddingStd, type TraceFactOptions, type TraceKind, traceFact } from './trace.js';

/** One fact to trace. */
export interface TraceFact {
  prompt: string;
  subject: string;
  /** The answer scored; default the model's argmax. */
  target?: string;
}

/** ROME's token groups for averaging prompts of different lengths (figure 2). */
export const TOKEN_GROUPS = [
  'First subject token',
  'Middle subject tokens',
  'Last subject token',
  'First subsequent token',
  'Further tokens',
  'Last token',
] as const;

export type TokenGroup = (typeof TOKEN_GROUPS)[number];

/**
 * The group(s) of each token of a traced prompt. A one-token subject is both the first and the last subject
 * token; the prompt's last token is only 'Last token'; tokens before the subject belong to no group (the
 * corruption cannot reach them, so restoring them has no effect).
 */
export function tokenGroups(length: number, subjectStart: number, subjectEnd: number): TokenGroup[][] {
  return Array.from({ length }, (_, t) => {
    const groups: TokenGroup[] = [];
    if (t === length - 1) return ['Last token'];
    if (t === subjectStart) groups.push('First subject token');
    if (t > subjectStart && t < subjectEnd - 1) groups.push('Middle subject tokens');
    if (t === subjectEnd - 1) groups.push('Last subject token');
    if (t === subjectEnd) groups.push('First subsequent token');
    if (t > subjectEnd) groups.push('Further tokens');
    return groups;
  });
}

/** The noise seed of the `index`-th fact of an average run with `seed` (independent streams per fact). */
export function factSeed(seed: number, index: number): number {
  return Math.floor(createRng(seed).fork(index).next() * 2 ** 32);
}

export interface AverageTraceOptions
  extends Omit<TraceFactOptions, 'prompt' | 'subject' | 'target' | 'noise'> {
  /** Noise std. Default 3 x the std of the token embeddings of all the facts' subjects (as ROME). */
  noise?: number;
  /** Called after each fact. */
  onProgress?: (done: number, total: number) => void;
}

/** Causal traces averaged over facts, by token group (rows) and layer (columns). */
export interface AverageTrace {
  kind: TraceKind;
  window: number;
  noise: number;
  samples: number;
  seed: number;
  /** Facts averaged. */
  count: number;
  groups: readonly TokenGroup[];
  /** Facts that have a token in each group (a one-token-after-subject prompt has no 'Further tokens'). */
  groupCounts: number[];
  /** Mean over facts of P*_{clean h}[o]: [group][layer] (within a fact, a group's tokens are averaged first). */
  meanScores: number[][];
  /** Average indirect effect: meanScores minus each fact's corrupted probability, [group][layer]. */
  indirectEffect: number[][];
  /** Mean P[o] on the clean runs. */
  meanClean: number;
  /** Mean P*[o] on the corrupted runs. */
  meanCorrupted: number;
  /** Average total effect: meanClean - meanCorrupted. */
  totalEffect: number;
  /** The largest average indirect effect and where it is. */
  peak: { group: TokenGroup; layer: number; indirectEffect: number };
}

/**
 * Trace every fact and average the traces by token group (ROME's figure 2). Each fact gets its own noise
 * stream derived from `seed`, so adding facts does not change the earlier ones' noise.
 *
 * @example
 * const facts = knownFacts(model, loadKnownFactsFile(datasetPath('known1000')).records, { limit: 100 });
 * const average = averageTraces(model, facts, { kind: 'mlp' });
 * average.peak; // default model, first 100 known facts: { group: 'Last token', layer: 0, indirectEffect: 0.094 }
 */
export function averageTraces(
  model: CausalLM,
  facts: readonly TraceFact[],
  options: AverageTraceOptions = {},
): AverageTrace {
  if (facts.length === 0) throw new InvalidRequestError('averageTraces', 'facts', 'must not be empty');
  const numLayers = model.config.numLayers;
  const noise =
    options.noise ??
    3 *
      embeddingStd(
        model,
        facts.map((f) => f.subject),
      );
  const seed = options.seed ?? 1;
  const sums = TOKEN_GROUPS.map(() => new Array<number>(numLayers).fill(0));
  const effectSums = TOKEN_GROUPS.map(() => new Array<number>(numLayers).fill(0));
  const groupCounts = TOKEN_GROUPS.map(() => 0);
  let cleanSum = 0;
  let corruptedSum = 0;
  let meta: Pick<CausalTrace, 'kind' | 'window' | 'samples'> | undefined;
  const { onProgress, ...traceOptions } = options;
  for (const [index, fact] of facts.entries()) {
    const trace = traceFact(model, {
      ...traceOptions,
      prompt: fact.prompt,
      subject: fact.subject,
      ...(fact.target === undefined ? {} : { target: fact.target }),
      noise,
      seed: factSeed(seed, index),
    });
    meta ??= { kind: trace.kind, window: trace.window, samples: trace.samples };
    cleanSum += trace.cleanProbability;
    corruptedSum += trace.corruptedProbability;
    const groups = tokenGroups(trace.tokenIds.length, trace.subjectStart, trace.subjectEnd);
    TOKEN_GROUPS.forEach((group, g) => {
      const tokens = groups.flatMap((own, t) => (own.includes(group) ? [t] : []));
      if (tokens.length === 0) return;
      groupCounts[g]! += 1;
      for (let l = 0; l < numLayers; l++) {
        let sum = 0;
        for (const t of tokens) sum += trace.scores[t]![l]!;
        const mean = sum / tokens.length;
        sums[g]![l]! += mean;
        effectSums[g]![l]! += mean - trace.corruptedProbability;
      }
    });
    onProgress?.(index + 1, facts.length);
  }
  const divide = (rows: number[][]) =>
    rows.map((row, g) => row.map((v) => (groupCounts[g] === 0 ? 0 : v / groupCounts[g]!)));
  const meanScores = divide(sums);
  const indirectEffect = divide(effectSums);
  let peak = { group: TOKEN_GROUPS[0] as TokenGroup, layer: 0, indirectEffect: -Infinity };
  indirectEffect.forEach((row, g) => {
    if (groupCounts[g] === 0) return;
    row.forEach((value, layer) => {
      if (value > peak.indirectEffect) peak = { group: TOKEN_GROUPS[g]!, layer, indirectEffect: value };
    });
  });
  const meanClean = cleanSum / facts.length;
  const meanCorrupted = corruptedSum / facts.length;
  const { kind, window, samples } = meta as NonNullable<typeof meta>;
  return {
    kind,
    window,
    noise,
    samples,
    seed,
    count: facts.length,
    groups: TOKEN_GROUPS,
    groupCounts,
    meanScores,
    indirectEffect,
    meanClean,
    meanCorrupted,
    totalEffect: meanClean - meanCorrupted,
    peak,
  };
}

export interface KnownFactsOptions {
  /** Keep at most this many (the first ones the model gets right, in file order). */
  limit?: number;
  /** Facts scored per forward chunk. Default 256. */
  chunk?: number;
}

/**
 * The known facts (ROME's known_1000) that this model gets right: the argmax after the prompt is the first
 * token of the attribute. Returned as facts to trace, with the attribute as the target.
 */
export function knownFacts(
  model: CausalLM,
  facts: readonly KnownFact[],
  options: KnownFactsOptions = {},
): TraceFact[] {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const chunk = options.chunk ?? 256;
  const kept: TraceFact[] = [];
  for (let from = 0; from < facts.length && kept.length < limit; from += chunk) {
    const slice = facts.slice(from, from + chunk);
    const scores = scoreTargets(
      model,
      slice.map((f) => ({ prompt: f.prompt, target: f.attribute })),
    );
    slice.forEach((fact, i) => {
      const score = scores[i]!;
      if (kept.length < limit && score.argmaxIds[0] === score.targetIds[0]) {
        kept.push({ prompt: fact.prompt, subject: fact.subject, target: fact.attribute });
      }
    });
  }
  return kept;
}
