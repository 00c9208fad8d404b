/**
 * `pnpm bench merge`: the results of every shard of one run (`pnpm bench --shard k/n`) joined into the
 * results a single run writes, so that any job runner (a CI matrix, a Kubernetes indexed Job) can spread a
 * large sweep over machines and one table comes out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmeditError } from '@llmedit/core';
import { type BenchResults, RESULTS_SCHEMA } from './results.js';
import { shardUnits, unitKey } from './run.js';

/** The shards given cannot be joined (not shards, of different runs, incomplete, missing or repeated). */
export class MergeError extends LlmeditError {
  constructor(message: string) {
    super('BENCH_MERGE', message);
  }
}

/** What must be equal in every shard of one run. */
function runIdentity(results: BenchResults): string {
  const { shard: _, ...options } = results.options;
  return JSON.stringify({ options, model: results.model.hash, evaluation: results.evaluation });
}

/**
 * Joins the shards of one run. Runs and records come in the order a single run takes them; the pre-edit
 * records (identical in every shard that computed them) once each. `wallMs` is the shards' total.
 */
export function mergeShards(parts: readonly { source: string; results: BenchResults }[]): BenchResults {
  const first = parts[0];
  if (first === undefined) throw new MergeError('no shard results to merge');
  const count = first.results.options.shard?.count;
  const seen = new Map<number, string>();
  for (const { source, results } of parts) {
    if (results.schema !== RESULTS_SCHEMA)
      throw new MergeError(`${source}: results schema ${results.schema}, expected ${RESULTS_SCHEMA}`);
    const shard = results.options.shard;
    if (shard === undefined) throw new MergeError(`${source}: not a shard (run with --shard K/N)`);
    if (shard.count !== count)
      throw new MergeError(
        `${source}: shard ${shard.index}/${shard.count} of another split than ${first.source} (N=${count})`,
      );
    if (runIdentity(results) !== runIdentity(first.results))
      throw new MergeError(
        `${source}: another run than ${first.source} (options, model or evaluation differ)`,
      );
    if (!results.complete)
      throw new MergeError(`${source}: shard ${shard.index}/${shard.count} did not finish`);
    const other = seen.get(shard.index);
    if (other !== undefined)
      throw new MergeError(`${source}: shard ${shard.index}/${count} given twice (also ${other})`);
    seen.set(shard.index, source);
  }
  const missing = Array.from({ length: count! }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length > 0)
    throw new MergeError(`shards ${missing.map((k) => `${k}/${count}`).join(', ')} missing`);

  const { shard: _, ...options } = first.results.options;
  const order = new Map(
    shardUnits(options.methods, options.datasets, undefined, options.sequentialMax !== undefined).map(
      (u, i) => [unitKey(u), i],
    ),
  );
  const unitOf = (r: { method: string; dataset: string; table?: 'E' }) => order.get(unitKey(r)) ?? -1;
  const all = parts.map((p) => p.results);
  // Table E: the sequence's header and unedited values from a shard that ran one, every shard's sequences.
  const withSequence = all.filter((r) => r.sequential !== undefined);
  const sequential =
    withSequence[0]?.sequential === undefined
      ? undefined
      : {
          ...withSequence[0].sequential,
          runs: withSequence
            .flatMap((r) => r.sequential!.runs)
            .sort(
              (a, b) =>
                unitOf({ method: a.method, dataset: 'zsre', table: 'E' }) -
                unitOf({ method: b.method, dataset: 'zsre', table: 'E' }),
            ),
        };
  // Table D: every shard's runs in the whole run's unit order, the unedited values of every data set.
  const withMultimodal = all.filter((r) => r.multimodal !== undefined);
  const multimodalOrder = (r: { method: string; dataset: string }) =>
    (options.multimodal?.methods.indexOf(r.method) ?? 0) * 2 + (r.dataset === 'e-vqa' ? 0 : 1);
  const multimodal =
    withMultimodal[0]?.multimodal === undefined
      ? undefined
      : {
          ...withMultimodal[0].multimodal,
          pre: Object.assign({}, ...withMultimodal.map((r) => r.multimodal!.pre)),
          runs: withMultimodal
            .flatMap((r) => r.multimodal!.runs)
            .sort((a, b) => multimodalOrder(a) - multimodalOrder(b)),
        };
  // Array.prototype.sort is stable: within a unit the records keep the order they were edited in.
  const runs = all.flatMap((r) => r.runs).sort((a, b) => unitOf(a) - unitOf(b));
  const records = all.flatMap((r) => r.records).sort((a, b) => unitOf(a) - unitOf(b));
  const pre = new Map<string, BenchResults['pre'][number]>();
  for (const p of all.flatMap((r) => r.pre)) pre.set(`${p.dataset}\u0000${p.index}`, p);
  const datasetOrder = (d: string) => options.datasets.indexOf(d as (typeof options.datasets)[number]);
  // Shards may run on different days and machines: when their commits differ, the result says so.
  const byShard = [...parts].sort((a, b) => a.results.options.shard!.index - b.results.options.shard!.index);
  const commits = byShard.map((p) => p.results.environment.gitCommit ?? 'unknown');
  const environment =
    new Set(commits).size > 1
      ? { ...first.results.environment, shardCommits: commits }
      : first.results.environment;
  return {
    ...first.results,
    options,
    environment,
    complete: true,
    startedAt: all.map((r) => r.startedAt).sort()[0]!,
    finishedAt:
      all
        .map((r) => r.finishedAt ?? '')
        .sort()
        .at(-1) || null,
    wallMs: all.reduce((sum, r) => sum + r.wallMs, 0),
    mergedShards: count!,
    runs,
    records,
    pre: [...pre.values()].sort(
      (a, b) => datasetOrder(a.dataset) - datasetOrder(b.dataset) || a.index - b.index,
    ),
    ...(sequential === undefined ? {} : { sequential }),
    ...(multimodal === undefined ? {} : { multimodal }),
  };
}

/** Reads `results.json` from each shard's output folder. */
export function readShards(dirs: readonly string[]): { source: string; results: BenchResults }[] {
  return dirs.map((dir) => {
    const file = join(dir, 'results.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new MergeError(`${file}: cannot read (${(error as Error).message.split('\n')[0]})`);
    }
    return { source: dir, results: JSON.parse(text) as BenchResults };
  });
}
