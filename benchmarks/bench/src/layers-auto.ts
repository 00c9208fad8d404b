// `--layers auto`: the layer ROME / MEMIT edit, chosen by a causal trace (Meng et al. 2022, section 2 and
// figure 2: the MLP's average indirect effect at the last subject token peaks at the layer ROME edits).
import { type EditRequest, LlmeditError } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { averageTraces, TOKEN_GROUPS, type TraceFact } from '@llmedit/trace';

/** Training-split facts traced: a handful, enough for a stable peak, cheap on 2 cores. */
export const AUTO_TRACE_FACTS = 8;
/** Training records searched for facts the model knows (in split order). */
export const AUTO_TRACE_CANDIDATES = 256;

/** What the trace found: recorded in results.json with the layers each method got. */
export interface LayerTrace {
  /** The layer with the highest average MLP indirect effect at the last subject token (not the last layer). */
  peak: number;
  /** That average indirect effect per layer (column L restores the MLP window centred on L). */
  indirectEffect: number[];
  /** MLP layers restored together (`@llmedit/trace`'s default: 10/48 of the depth, at least 1). */
  window: number;
  /** The traced prompts (CounterFact training split, ones whose true object the model predicts). */
  facts: string[];
  seed: number;
  wallMs: number;
}

/** A method's `--layers auto` outcome: the trace and the layers that replaced the preset's. */
export interface AutoLayers extends LayerTrace {
  layers: number[];
}

/** Thrown when the model predicts the true object of none of the searched training facts. */
export class NoKnownFactsError extends LlmeditError {
  constructor(searched: number) {
    super(
      'NO_KNOWN_FACTS',
      `--layers auto: the model predicts the true object of none of the first ${searched} CounterFact ` +
        'training facts, so a causal trace cannot locate them; pass --hparams METHOD=FILE instead',
    );
  }
}

/**
 * The first `limit` facts of `requests` whose true object's first token is the model's argmax after the
 * prompt (ROME traces facts the model knows), as facts to trace.
 */
export function knownTrainingFacts(
  model: CausalLM,
  requests: readonly EditRequest[],
  limit = AUTO_TRACE_FACTS,
): TraceFact[] {
  const candidates = requests.filter(
    (r): r is EditRequest & { subject: string; groundTruth: string } =>
      r.subject !== undefined &&
      r.groundTruth !== undefined &&
      r.groundTruth !== '' &&
      r.prompt.includes(r.subject),
  );
  const scores = scoreTargets(
    model,
    candidates.map((r) => ({ prompt: r.prompt, target: r.groundTruth })),
  );
  const known: TraceFact[] = [];
  candidates.forEach((r, i) => {
    const score = scores[i]!;
    if (known.length < limit && score.argmaxIds[0] === score.targetIds[0]) {
      known.push({ prompt: r.prompt, subject: r.subject, target: r.groundTruth });
    }
  });
  return known;
}

/**
 * Trace the model's MLPs over a handful of CounterFact training facts it knows and return the layer whose
 * restoration at the last subject token recovers the most (ROME's edit site), the last layer excluded.
 */
export function traceEditLayer(model: CausalLM, options: { seed?: number } = {}): LayerTrace {
  const t0 = performance.now();
  const seed = options.seed ?? 1;
  const requests = loadSplit('counterfact', 'train').slice(0, AUTO_TRACE_CANDIDATES);
  const facts = knownTrainingFacts(model, requests);
  if (facts.length === 0) throw new NoKnownFactsError(requests.length);
  const average = averageTraces(model, facts, { kind: 'mlp', seed });
  const row = average.indirectEffect[TOKEN_GROUPS.indexOf('Last subject token')]!;
  return {
    peak: peakLayer(row),
    indirectEffect: row,
    window: average.window,
    facts: facts.map((f) => f.prompt),
    seed,
    wallMs: performance.now() - t0,
  };
}

/**
 * The layer with the highest indirect effect, the last layer excluded: its MLP output at a subject token
 * cannot reach the prediction (only the last token's can), so its effect is 0 by construction and would beat
 * noisy negative effects. A one-layer model gets layer 0.
 */
export function peakLayer(indirectEffect: readonly number[]): number {
  const candidates = Math.max(1, indirectEffect.length - 1);
  let peak = 0;
  for (let layer = 1; layer < candidates; layer++) {
    if (indirectEffect[layer]! > indirectEffect[peak]!) peak = layer;
  }
  return peak;
}

/**
 * The layers an auto-located edit uses: the peak layer and the ones below it, `count` in all (ROME: 1;
 * MEMIT: as many as its preset edits), fewer when the peak is closer to the first layer than that.
 */
export function layersBelow(peak: number, count: number): number[] {
  const from = Math.max(0, peak - count + 1);
  return Array.from({ length: peak - from + 1 }, (_, i) => from + i);
}
