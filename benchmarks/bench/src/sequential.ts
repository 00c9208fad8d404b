/**
 * Table E, sequential editing (the WISE / EasyEdit lifelong protocol): one method applies T ZsRE edits one
 * after another to one model, and after T = 1, 10, 100 (1,000 with `--sequential-max`) edits every edit so
 * far is evaluated on that model: Reliability, Generalization, Locality (and Portability) of all T.
 * One sequence of `max` edits gives every point, since the first T edits of it are the T-edit sequence.
 */
import { type EditRequest, edit, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import {
  computePreEditParallel,
  evaluateRequestsParallel,
  type PostEditOptions,
  type PreEditCache,
} from '@llmedit/evaluate';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import type { BenchMethod } from './bench-method.js';
import { observingEditCalls } from './edit-calls.js';
import type { BenchSplit } from './flags.js';
import type { MethodRun } from './results.js';

/** T of a default run's last point; `--sequential-max` raises it (1,000 is the field's long run). */
export const DEFAULT_SEQUENTIAL_MAX = 100;
/** `--smoke`: the path is exercised with two sequential edits. */
export const SMOKE_SEQUENTIAL_MAX = 2;
/** The largest `--sequential-max`: ZsRE's shipped evaluation and training splits together. */
export const MAX_SEQUENTIAL = 1037;

/** The metrics Table E reports, from the EasyEdit suite (teacher-forced token accuracy, WISE's Eq. 9). */
export const SEQUENTIAL_METRICS = ['reliability', 'generalization', 'locality', 'portability'] as const;
export type SequentialMetric = (typeof SEQUENTIAL_METRICS)[number];

/** How the Table E records are evaluated: the EasyEdit suite without generation (WISE reports no fluency). */
export function sequentialEvaluation(seed: number): PostEditOptions {
  return { suites: ['easyedit'], seed };
}

/** T = 1, 10, 100, ... up to `max`, and `max` itself. */
export function sequentialCheckpoints(max: number): number[] {
  const points: number[] = [];
  for (let t = 1; t < max; t *= 10) points.push(t);
  points.push(max);
  return points;
}

/** Where the edited records come from: the first `eval` of ZsRE's evaluation split, then `train` of its training split. */
export interface SequentialSources {
  eval: number;
  train: number;
}

/**
 * The records of a `max`-edit sequence. From the evaluation split first; past its 300 records (T = 1,000)
 * the training split continues the sequence. A tuning run (`--split train`) takes the training split only.
 */
export function sequentialRecords(
  max: number,
  split: BenchSplit = 'eval',
): { requests: EditRequest[]; sources: SequentialSources } {
  const evaluation = split === 'eval' ? loadSplit('zsre', 'eval').slice(0, max) : [];
  const training = loadSplit('zsre', 'train').slice(0, max - evaluation.length);
  const requests = [...evaluation, ...training];
  if (requests.length < max) {
    throw new RangeError(`ZsRE holds ${requests.length} records for this split, fewer than T = ${max}`);
  }
  return { requests, sources: { eval: evaluation.length, train: training.length } };
}

/** The state of the model after T sequential edits. */
export interface SequentialPoint {
  /** T: the edits applied so far. */
  edits: number;
  /** Each metric of every edited record, in edit order (NaN where the record has no such probe). */
  values: Partial<Record<SequentialMetric, number[]>>;
  /** Mean ms of the edit calls since the previous point, and of all T so far. */
  editMs: { segment: number; cumulative: number };
  /** Ms the evaluation of the T records took. */
  evalMs: number;
  /**
   * Health: weight tensors of the model holding NaN or Inf, and edit targets (the last up to 16) whose
   * teacher-forced log-probability under the edited model is not finite.
   */
  nonFinite: { weights: number; scores: number };
  /** The finite numbers the method reported after its last edit (T-Patcher's neuronsTotal, GRACE's codebookSize). */
  state?: Record<string, number>;
}

/** One method's sequence. */
export interface SequentialRun {
  method: string;
  status: MethodRun['status'];
  reason?: string;
  hparams?: unknown;
  prepare?: NonNullable<MethodRun['prepare']>;
  layersAuto?: NonNullable<MethodRun['layersAuto']>;
  points: SequentialPoint[];
  /** Wall-clock ms of the whole sequence (edits and evaluations). */
  wallMs: number;
}

/** Table E's part of results.json. */
export interface SequentialResults {
  dataset: 'zsre';
  /** T of the last point. */
  max: number;
  checkpoints: number[];
  sources: SequentialSources;
  /** The unedited model's metrics on the `max` records (the "(unedited)" row at each T). */
  pre: Partial<Record<SequentialMetric, number[]>>;
  runs: SequentialRun[];
}

/** Each Table E metric of each record, in order. */
function metricValues(
  records: readonly { metrics: Record<string, { value: number }> }[],
): Partial<Record<SequentialMetric, number[]>> {
  const out: Partial<Record<SequentialMetric, number[]>> = {};
  for (const metric of SEQUENTIAL_METRICS) {
    const values = records.map((r) => r.metrics[metric]?.value ?? Number.NaN);
    if (values.some(Number.isFinite)) out[metric] = values;
  }
  return out;
}

/** The unedited model's Table E metrics on the sequence's records (cached for locality). */
export async function sequentialPre(
  model: CausalLM,
  requests: readonly EditRequest[],
  options: PostEditOptions & { cache: PreEditCache },
): Promise<Partial<Record<SequentialMetric, number[]>>> {
  const pre = await computePreEditParallel(model, requests, options);
  return metricValues(pre.map((p) => p.result));
}

/** Weight tensors of `model` holding a NaN or an Inf. */
export function nonFiniteWeights(model: CausalLM): number {
  let count = 0;
  for (const name of model.weightNames()) {
    const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(model.weight(name)))).dataSync()[0]);
    if (bad) count++;
  }
  return count;
}

/** Edit targets (the last 16 of `edited`) whose log-probability under `model` is NaN or infinite. */
export function nonFiniteScores(model: CausalLM, edited: readonly EditRequest[]): number {
  const scores = scoreTargets(
    model,
    edited.slice(-16).map((r) => ({ prompt: r.prompt, target: r.targetNew })),
  );
  return scores.filter((s) => !s.logProbs.every(Number.isFinite)).length;
}

function finiteNumbers(info: unknown): Record<string, number> | undefined {
  if (info === null || typeof info !== 'object') return undefined;
  const entries = Object.entries(info).filter(
    (e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]),
  );
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

const mean = (values: readonly number[]) =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

export interface SequentialRunOptions {
  entry: BenchMethod;
  model: CausalLM;
  requests: readonly EditRequest[];
  checkpoints: readonly number[];
  hparams: unknown;
  context: { seed: number; signal?: AbortSignal; artifact?: unknown };
  evaluate: PostEditOptions;
  signal: AbortSignal | undefined;
  /** Progress: one more request was edited. */
  onEdited(): void;
}

/**
 * Apply the requests one after another through core's `edit()` (sequential mode, no revert in between) and
 * record a point at every checkpoint. The model is restored exactly afterwards (and by `edit()` itself when
 * an edit fails: the points before the failure are kept, the run is marked failed).
 */
export async function runSequence(
  options: SequentialRunOptions,
): Promise<Pick<SequentialRun, 'status' | 'reason' | 'points'>> {
  const { entry, model, requests, checkpoints } = options;
  const method = entry.method;
  const editMs: number[] = [];
  let lastInfo: unknown;
  // Each edit call's time and report, kept outside edit(): a failure later in the sequence must not lose them.
  const timed = observingEditCalls(
    method,
    (call) => {
      editMs.push(call.wallMs);
      lastInfo = call.info;
      options.onEdited();
    },
    options.signal,
  );
  const points: SequentialPoint[] = [];
  let result: Awaited<ReturnType<typeof edit<unknown, CausalLM, void>>> | undefined;
  try {
    result = await edit({
      method: timed,
      model,
      requests: [...requests],
      hparams: options.hparams as Record<string, unknown>,
      mode: 'sequential',
      // A thousand edits would otherwise keep a thousand copies of the weights they replaced (MEND and KE
      // ran out of the 4 GB wasm heap at T = 1,000); the call's own snapshot reverts the sequence.
      retainOutcomes: false,
      evalSchedule: { at: checkpoints, atEnd: false },
      context: options.context,
      source: `zsre sequence of ${requests.length}`,
      async evaluate({ model: edited, edited: so }) {
        const t0 = performance.now();
        const records = await evaluateRequestsParallel(edited, so, options.evaluate);
        const evalMs = performance.now() - t0;
        const previous = points.at(-1)?.edits ?? 0;
        const state = finiteNumbers(lastInfo);
        points.push({
          edits: so.length,
          values: metricValues(records),
          editMs: { segment: mean(editMs.slice(previous)), cumulative: mean(editMs) },
          evalMs,
          nonFinite: {
            weights: method.capabilities.modifiesWeights ? nonFiniteWeights(model) : 0,
            scores: nonFiniteScores(edited, so),
          },
          ...(state === undefined ? {} : { state }),
        });
      },
    });
    return { status: 'done', points };
  } catch (error) {
    if (options.signal?.aborted) return { status: 'partial', reason: 'interrupted', points };
    const message = error instanceof Error ? error.message || error.name : String(error);
    return { status: 'failed', reason: `after ${editMs.length} edits: ${message}`, points };
  } finally {
    result?.revert();
    result?.dispose();
  }
}
