import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { type BackendInfo, type EditMode, tf } from '@llmedit/core';
import type { MetricValue } from '@llmedit/evaluate';
import type { BenchDataset, BenchSplit } from './flags.js';
import type { AutoLayers } from './layers-auto.js';
import type { MultimodalResults } from './multimodal.js';
import type { PublishedNames } from './published.js';
import type { SequentialResults } from './sequential.js';

/** Version of the results.json layout. */
export const RESULTS_SCHEMA = 1;

/** One edited record: its post-edit metrics and what the edit cost. */
export interface EditRecord {
  method: string;
  dataset: BenchDataset;
  /** Position in the evaluation split. */
  index: number;
  /** The record's id (CounterFact case id, zsRE index). */
  id: string;
  mode: EditMode;
  /** 1-based `doEdit` call that applied this record's edit. */
  step: number;
  /** Wall-clock ms of the `doEdit` call, divided by the requests it edited (batch: all). */
  editMs: number;
  /** Highest tensor bytes during the call and what the edit added over the bytes alive at its start. */
  peakBytes: number;
  peakExtraBytes: number;
  /** Post-edit metrics, tagged (see @llmedit/evaluate PROTOCOL_TAGS); empty when the edit failed. */
  metrics: Record<string, MetricValue>;
  /** The error, when the edit or its evaluation failed. */
  error?: string;
}

/** The unedited model's metrics on one record (the "(unedited)" rows). */
export interface PreRecord {
  dataset: BenchDataset;
  index: number;
  id: string;
  metrics: Record<string, MetricValue>;
}

/** Which slice of a run a shard is: 1-based `index` of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** One (method, data set) run. */
export interface MethodRun {
  method: string;
  dataset: BenchDataset;
  status: 'done' | 'partial' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  /** The hyperparameters used (after parsing). */
  hparams?: unknown;
  /** The one-time cost before the first edit, when the method has one. */
  prepare?: { label: string; wallMs: number; cached: boolean };
  /**
   * `--layers auto` on a model without a preset: the layers that replaced GPT-2 XL's, and the causal trace
   * that chose them (the trace runs once per run; its time is counted where it ran).
   */
  layersAuto?: AutoLayers;
  requested: number;
  edited: number;
  failed: number;
  /** Wall-clock ms of the whole run (edits and evaluations). */
  wallMs: number;
}

export interface MethodInfo {
  id: string;
  displayName: string;
  paper?: string;
  published: PublishedNames;
  /** The package the method comes from (its version is in `environment.packages`). */
  package?: string;
}

export interface Environment {
  backend: BackendInfo;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  /** `git rev-parse HEAD`, when the run is inside a git checkout. */
  gitCommit: string | null;
  /**
   * Whether tracked files differed from that commit when the run started (a preset edited but not yet
   * committed): then the commit alone does not reproduce the numbers, the recorded hyperparameters do.
   * Absent in results written before it existed and outside git.
   */
  gitDirty?: boolean;
  /** Versions of the packages that produced the numbers. */
  packages: Record<string, string>;
  /**
   * A merged run whose shards ran at different commits: each shard's commit, in shard order (`gitCommit` is
   * the first's). Absent when every shard ran at the same commit.
   */
  shardCommits?: string[];
}

export interface BenchResults {
  schema: number;
  /** False when the run was interrupted (Ctrl-C) or is still going (checkpoint). */
  complete: boolean;
  startedAt: string;
  finishedAt: string | null;
  wallMs: number;
  options: {
    methods: string[];
    datasets: BenchDataset[];
    n: number;
    seed: number;
    mode: EditMode;
    smoke: boolean;
    /** A sharded run's slice (`--shard index/count`): the (method, data set) units it ran. */
    shard?: Shard;
    /** `--split train` (tuning runs); absent: the evaluation split. */
    split?: BenchSplit;
    /** `--hparams`: method id -> the file whose hyperparameters replaced its preset. */
    hparamsFiles?: Record<string, string>;
    /** `--layers auto` was given. */
    layersAuto?: true;
    /** Table E's T of the last point (`--sequential-max`); absent: the run has no Table E. */
    sequentialMax?: number;
    /** Table D's records per data set and its methods; absent: the run has no Table D. */
    multimodal?: { n: number; methods: string[] };
    /** `--jobs N`: the run was N shards side by side in N processes, merged (absent: one process). */
    jobs?: number;
  };
  model: {
    name: string;
    /** Content hash of the weights as loaded (`CausalLM.modelId`). */
    hash: string;
    architecture: string;
    numLayers: number;
    hiddenSize: number;
    vocabSize: number;
    parameters: number;
    /**
     * The presets the methods ran with: 'default' / 'micro' for the committed checkpoints, the public
     * checkpoint a folder's config matched ('gpt2-xl'), null when none did. Absent in older results.
     */
    preset?: string | null;
  };
  evaluation: Partial<Record<BenchDataset, unknown>>;
  environment: Environment;
  methods: MethodInfo[];
  runs: MethodRun[];
  pre: PreRecord[];
  records: EditRecord[];
  /** Table E (sequential editing), when the run has it. */
  sequential?: SequentialResults;
  /** Table D (multimodal editing), when the run has it. */
  multimodal?: MultimodalResults;
  /**
   * `--resume`: each time the run was continued after its process stopped, when and at which commit (the
   * environment above is the run's start's).
   */
  resumed?: { startedAt: string; gitCommit: string | null; gitDirty?: boolean }[];
  /** `pnpm bench merge`: how many shards were joined (`wallMs` is then their summed time). */
  mergedShards?: number;
}

/** The commit of the checkout `cwd` is in, or null outside git (or without git). */
export function gitCommit(cwd: string): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

/** Whether the checkout `cwd` is in has uncommitted changes to tracked files; undefined outside git. */
export function gitDirty(cwd: string): boolean | undefined {
  try {
    const out = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    return out.trim() !== '';
  } catch {
    return undefined;
  }
}

/** Versions from package.json files, found through module resolution (`name/package.json`). */
export function packageVersions(names: readonly string[]): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    try {
      // The bench itself is private and exports nothing; the others export ./package.json.
      const url =
        name === '@llmedit/bench'
          ? new URL('../package.json', import.meta.url).href
          : import.meta.resolve(`${name}/package.json`);
      const json = JSON.parse(readFileSync(new URL(url), 'utf8')) as { version?: unknown };
      if (typeof json.version === 'string') versions[name] = json.version;
    } catch {
      // A package without an exported package.json: leave it out rather than guess.
    }
  }
  return versions;
}

export function environment(backend: BackendInfo, cwd: string, packages: readonly string[]): Environment {
  const cpuList = cpus();
  const commit = gitCommit(cwd);
  const dirty = commit === null ? undefined : gitDirty(cwd);
  return {
    backend,
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    gitCommit: commit,
    ...(dirty === undefined ? {} : { gitDirty: dirty }),
    packages: { ...packageVersions(packages), '@tensorflow/tfjs-core': tf.version_core },
  };
}

/** Write a file so that readers never see it half-written (a Ctrl-C mid-write leaves the old one). */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
