import { createRng } from '@llmedit/core';
import { type BootstrapOptions, bootstrapStatistic, type Interval } from './bootstrap.js';
import { hashString } from './hash.js';
import {
  PROTOCOL_TAGS,
  ProtocolMixError,
  type ProtocolTag,
  type RecordResult,
  type TaggedValue,
} from './protocol.js';

/** The mean of one metric over records, with its protocol tag and a bootstrap interval over records. */
export interface AggregateMetric {
  tag: ProtocolTag;
  mean: number;
  /** Records that carry the metric. */
  n: number;
  interval: Interval;
}

export type AggregateReport = Record<string, AggregateMetric>;

/** A number computed from the means of other metrics (e.g. ROME's Score), bootstrapped jointly over records. */
export interface DerivedMetric {
  name: string;
  tag: ProtocolTag;
  inputs: readonly string[];
  /** Tag every input must carry. */
  inputTag: ProtocolTag;
  combine(means: readonly number[]): number;
}

/** Harmonic mean; 0 when any value is 0 (one failed criterion sinks the score, as in ROME). */
export function harmonicMean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  if (values.some((v) => v <= 0)) return 0;
  return values.length / values.reduce((s, v) => s + 1 / v, 0);
}

/** ROME's Score S: harmonic mean of ES, PS and NS (the paper's definition, and summarize.py's three-way hmean). */
export const COUNTERFACT_SCORE: DerivedMetric = {
  name: 'S',
  tag: PROTOCOL_TAGS.comparisonHarmonicMean,
  inputs: ['ES', 'PS', 'NS'],
  inputTag: PROTOCOL_TAGS.probabilityComparison,
  combine: harmonicMean,
};

export interface AggregateOptions extends BootstrapOptions {
  /** Derived metrics, each added over the records that carry all its inputs. Default: [COUNTERFACT_SCORE]. */
  derived?: readonly DerivedMetric[];
}

function rngFor(seed: number, name: string) {
  // One stream per metric name, so an interval does not depend on which other metrics were aggregated.
  return createRng(seed).fork(hashString(name));
}

function meanAt(values: readonly number[], indices: Int32Array): number {
  let sum = 0;
  for (const i of indices) sum += values[i]!;
  return sum / indices.length;
}

function plainMean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** Mean and bootstrap interval of tagged values that must all carry one tag (`metric` names them in errors). */
export function aggregateValues(
  metric: string,
  values: readonly TaggedValue[],
  options: BootstrapOptions = {},
): AggregateMetric {
  const tags = [...new Set(values.map((v) => v.tag))];
  if (tags.length > 1) throw new ProtocolMixError(metric, tags);
  const numbers = values.map((v) => v.value);
  return {
    tag: tags[0] ?? PROTOCOL_TAGS.tokenAccuracy,
    mean: numbers.length === 0 ? Number.NaN : plainMean(numbers),
    n: numbers.length,
    interval: bootstrapStatistic(numbers.length, (idx) => meanAt(numbers, idx), {
      ...options,
      rng: rngFor(options.seed ?? 0, metric),
    }),
  };
}

/**
 * Mean of every metric over the records that carry it, each with a seeded bootstrap 95% interval (records
 * resampled with replacement). Throws `ProtocolMixError` when one metric name carries different tags across
 * records. A derived metric (ROME's Score by default) is added over the records that carry all its inputs.
 */
export function aggregate(results: readonly RecordResult[], options: AggregateOptions = {}): AggregateReport {
  const byName = new Map<string, TaggedValue[]>();
  for (const result of results) {
    for (const [name, value] of Object.entries(result.metrics)) {
      let list = byName.get(name);
      if (list === undefined) {
        list = [];
        byName.set(name, list);
      }
      list.push(value);
    }
  }
  const report: AggregateReport = {};
  for (const name of [...byName.keys()].sort())
    report[name] = aggregateValues(name, byName.get(name)!, options);

  for (const derived of options.derived ?? [COUNTERFACT_SCORE]) {
    const rows: number[][] = [];
    for (const result of results) {
      const inputs = derived.inputs.map((name) => result.metrics[name]);
      if (inputs.some((v) => v === undefined)) continue;
      for (const [k, v] of inputs.entries()) {
        if (v!.tag !== derived.inputTag)
          throw new ProtocolMixError(derived.inputs[k]!, [derived.inputTag, v!.tag]);
      }
      rows.push(inputs.map((v) => v!.value));
    }
    if (rows.length === 0) continue;
    const columns = derived.inputs.map((_, k) => rows.map((r) => r[k]!));
    report[derived.name] = {
      tag: derived.tag,
      mean: derived.combine(columns.map(plainMean)),
      n: rows.length,
      interval: bootstrapStatistic(
        rows.length,
        (idx) => derived.combine(columns.map((c) => meanAt(c, idx))),
        {
          ...options,
          rng: rngFor(options.seed ?? 0, derived.name),
        },
      ),
    };
  }
  return report;
}

/**
 * One line of named aggregates, e.g. "ES 0.920 [0.84, 0.98]  PS 0.850 [0.76, 0.93]", for logs and bench
 * scripts; a metric the report lacks prints as "-".
 */
export function formatAggregates(report: AggregateReport, names: readonly string[], digits = 3): string {
  return names
    .map((name) => {
      const m = report[name];
      if (m === undefined) return `${name} -`;
      const { low, high } = m.interval;
      return `${name} ${m.mean.toFixed(digits)} [${low.toFixed(digits - 1)}, ${high.toFixed(digits - 1)}]`;
    })
    .join('  ');
}
