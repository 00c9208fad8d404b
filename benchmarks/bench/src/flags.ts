import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { EDIT_MODES, type EditMode, LlmeditError } from '@llmedit/core';
import { KNOWEDIT_SHAPES, type KnowEditShape } from '@llmedit/datasets';
import { DEFAULT_MULTIMODAL_N, MAX_MULTIMODAL_N, SMOKE_MULTIMODAL_N } from './multimodal.js';
import type { Shard } from './results.js';
import { DEFAULT_SEQUENTIAL_MAX, MAX_SEQUENTIAL, SMOKE_SEQUENTIAL_MAX } from './sequential.js';

/**
 * The shipped data sets `pnpm bench` edits (their fixed evaluation splits). 'zsre-rome' is the ZsRE split
 * under ROME's own zsRE protocol (each record edited to its true answer, scored by the 'rome-zsre' suite of
 * @llmedit/evaluate), a second tagged suite reported in Table B3.
 */
export const BENCH_DATASETS = ['zsre', 'counterfact', 'zsre-rome'] as const;
export type ShippedDataset = (typeof BENCH_DATASETS)[number];
/**
 * `--smoke`'s data sets when `--datasets` is not given: 'zsre-rome' is left out (it would add a third round of
 * edits per method, about 40% more time, for a suite the unit tests already cover); name it to include it.
 */
export const SMOKE_DATASETS: readonly ShippedDataset[] = ['zsre', 'counterfact'];
/** A KnowEdit set read from the user's file (`--dataset-file`): KnowEdit files are not shipped. */
export type KnowEditDataset = `knowedit-${KnowEditShape}`;
export const KNOWEDIT_DATASETS: readonly KnowEditDataset[] = KNOWEDIT_SHAPES.map(
  (shape) => `knowedit-${shape}` as const,
);
export type BenchDataset = ShippedDataset | KnowEditDataset;
/** The split of the shipped data sets a run edits: 'eval' is what tables report, 'train' is for tuning. */
export const BENCH_SPLITS = ['eval', 'train'] as const;
export type BenchSplit = (typeof BENCH_SPLITS)[number];

export function isKnowEditDataset(dataset: string): dataset is KnowEditDataset {
  return (KNOWEDIT_DATASETS as readonly string[]).includes(dataset);
}

/** Where users get the KnowEdit files (their licence is the upstream one; llmedit does not ship them). */
export const KNOWEDIT_SOURCE = 'https://huggingface.co/datasets/zjunlp/KnowEdit';

/**
 * Records per data set per method of a default run. Chosen so that `pnpm bench` with every registered
 * method stays under 15 minutes on a 2-core machine (measured numbers in the package README).
 */
export const DEFAULT_N = 30;
/** Records per data set per method of `--smoke`. */
export const SMOKE_N = 2;
/** Size of each evaluation split (datasets package, SPLIT_EVAL_SIZE). */
export const MAX_N = 300;
/** `--n` limit with `--dataset-file` (KnowEdit files hold up to 14,390 records). */
export const MAX_FILE_N = 100_000;

/** `benchmarks/results/latest/` (committed table), from this file's location in `benchmarks/bench/src/`. */
export const DEFAULT_OUT = fileURLToPath(new URL('../../results/latest/', import.meta.url));
/** `--smoke` writes here by default (git-ignored), so that CI never touches the committed table. */
export const SMOKE_OUT = fileURLToPath(new URL('../bench-results/smoke/', import.meta.url));
/**
 * A partial run (a subset of methods or data sets, another --n, seed, model or mode) writes to a folder of
 * its own under here (git-ignored), named after what differs: only a full default run replaces the committed
 * `latest/` table, unless --out says otherwise.
 */
export const PARTIAL_OUT_ROOT = fileURLToPath(new URL('../bench-results/', import.meta.url));

export interface BenchFlags {
  /** Method ids to run, in the order given; undefined: every registered method. */
  methods: string[] | undefined;
  /**
   * Shipped data sets, and KnowEdit names that must match `datasetFile`'s set. Empty when only
   * `--dataset-file` was given (its set is known once the file is read).
   */
  datasets: BenchDataset[];
  /** Absolute path of a KnowEdit file (`--dataset-file`), evaluated with the EasyEdit protocol. */
  datasetFile?: string;
  /** Records per data set per method (the first n of the split). */
  n: number;
  /** `--split`: which split of the shipped data sets is edited (default 'eval'). */
  split: BenchSplit;
  /** `--hparams id=path,...`: absolute paths of files (JSON or EasyEdit YAML) replacing a method's preset. */
  hparamsFiles: ReadonlyMap<string, string>;
  /**
   * `--layers auto`: ROME / R-ROME / MEMIT on a model without a preset run with GPT-2 XL's values at the
   * layer(s) a causal trace picks.
   */
  layersAuto: boolean;
  /** A checkpoint name ('default', 'micro') or a path to a Hugging Face-layout model folder. */
  model: string;
  /** Whether `--model` was given (otherwise `--smoke` may fall back to the micro model). */
  modelGiven: boolean;
  seed: number;
  mode: EditMode;
  /** Absolute output folder. */
  out: string;
  /** Why the run writes where it does when --out was not given: 'default', 'smoke' or 'partial'. */
  outKind: 'given' | 'default' | 'smoke' | 'partial';
  smoke: boolean;
  /** `--shard k/n`: run only the k-th of n deterministic slices of the (method, data set) units. */
  shard: Shard | undefined;
  /**
   * Table E's longest sequence (`--sequential-max`, 0: no Table E). Default: 100 (2 with --smoke) when the
   * run is in single mode and edits ZsRE, else 0.
   */
  sequentialMax: number;
  /**
   * Table D's records per data set (`--multimodal-n`, 0: no Table D). Default: 30 (2 with --smoke) for the
   * default model in single mode without --methods, else 0.
   */
  multimodalN: number;
  /** `--multimodal-methods`: Table D's methods (default: all registered). */
  multimodalMethods: string[] | undefined;
  /** `--jobs N`: the run as N shards in N child processes on this machine, merged at the end. */
  jobs: number;
  /** `--resume DIR`: the folder of an unfinished run of the same command, continued (and written) there. */
  resume?: string;
  help: boolean;
}

/** A command-line flag is unknown or has a bad value. */
export class FlagError extends LlmeditError {
  constructor(message: string) {
    super('BENCH_FLAG', message);
  }
}

export const USAGE = `Usage: pnpm bench [flags]

Runs every registered editing method on the evaluation splits of ZsRE and CounterFact (or on a KnowEdit
file) and writes results.json, table.md and report.html.

  --methods a,b        method ids (default: all registered)
  --datasets a,b       zsre,counterfact,zsre-rome (default: all three; with --dataset-file: none unless
                       named); zsre-rome is ZsRE under ROME's own protocol (edit to the true answer);
                       none: only Table E (with --sequential-max)
  --dataset-file PATH  a KnowEdit file (any of its six sets, detected), run as knowedit-<set> with the
                       EasyEdit protocol; get the files from ${KNOWEDIT_SOURCE}
  --n N                records per data set per method, 1-${MAX_N} (default ${DEFAULT_N}; --smoke ${SMOKE_N};
                       up to ${MAX_FILE_N} with --dataset-file)
  --model M            'default', 'micro' or a path to a Hugging Face model folder (default: default)
  --seed S             non-negative integer seed (default 0)
  --split S            eval | train (default eval): train edits the first n training records, for tuning
                       hyperparameters away from the records the table reports
  --hparams ID=FILE,...
                       run method ID with the hyperparameters in FILE (JSON, or an EasyEdit YAML file)
                       instead of its preset; recorded in results.json
  --layers auto        for rome, r-rome and memit on a model without a preset: GPT-2 XL's values at the
                       layer a causal trace of the model picks (MEMIT: it and the layers below, as many as
                       GPT-2 XL's preset edits); the chosen layers are recorded in results.json
  --mode M             single | batch | sequential (default single)
  --sequential-max T   Table E: each method applies T ZsRE edits one after another, and every edit so far
                       is evaluated at T = 1, 10, 100, ... and T (default ${DEFAULT_SEQUENTIAL_MAX}, --smoke ${SMOKE_SEQUENTIAL_MAX}, when
                       the run is in single mode and edits zsre; 0: no Table E; at most ${MAX_SEQUENTIAL}: past
                       the 300 evaluation records the sequence continues with the training split)
  --multimodal-n N     Table D: each multimodal method (ft-llm, ft-vision, ike, serac, mend, ke) edits the
                       default VLM on N E-VQA and N E-IC records (default ${DEFAULT_MULTIMODAL_N}, --smoke ${SMOKE_MULTIMODAL_N}, for the default
                       model in single mode without --methods; 0: no Table D; at most ${MAX_MULTIMODAL_N})
  --multimodal-methods a,b
                       Table D's methods (default: all six)
  --out DIR            output folder (default: benchmarks/results/latest for a full default run, that is
                       without --methods, --datasets, --n, --seed, --model, --mode or --sequential-max; --smoke:
                       benchmarks/bench/bench-results/smoke; any other run: benchmarks/bench/bench-results/<what differs>)
  --smoke              a handful of records per method, for CI (zsre and counterfact unless --datasets)
  --shard K/N          run only the K-th of N deterministic slices of the (method, data set) runs and write
                       its partial results (any job runner can spread the slices over machines)
  --jobs N             run the slices as N processes side by side on this machine (one core each) and
                       merge them: the same numbers as one process, in about 1/N of the time (default 1)
  --resume DIR         continue the unfinished run in DIR (same flags, --shard included; its process was
                       interrupted or died): the units it finished are kept, the others run, DIR is rewritten
  --help               this text

  pnpm bench merge DIR... [--out DIR]
                       join the results.json of every shard of one run into the results.json, table.md and
                       report.html a single run writes (default out: the first DIR's parent /merged)
`;

function parseList(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new FlagError(`${flag} needs at least one value`);
  return [...new Set(items)];
}

function parseInteger(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new FlagError(`${flag} must be an integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new FlagError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The bench's options, for `node:util` parseArgs (the one CLI parser of the project). */
export const BENCH_OPTIONS = {
  methods: { type: 'string' },
  datasets: { type: 'string' },
  'dataset-file': { type: 'string' },
  n: { type: 'string' },
  model: { type: 'string' },
  seed: { type: 'string' },
  mode: { type: 'string' },
  out: { type: 'string' },
  shard: { type: 'string' },
  split: { type: 'string' },
  hparams: { type: 'string' },
  layers: { type: 'string' },
  'sequential-max': { type: 'string' },
  'multimodal-n': { type: 'string' },
  'multimodal-methods': { type: 'string' },
  jobs: { type: 'string' },
  resume: { type: 'string' },
  smoke: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** parseArgs' own errors, as FlagErrors that name the flag the way the user typed it. */
function parseCommandLine(argv: readonly string[]): {
  values: Map<string, string>;
  booleans: Set<string>;
} {
  let tokens: readonly { kind: string; name?: string; value?: string | undefined }[];
  try {
    // pnpm passes a lone '--' through when the user separates the script's arguments with it.
    tokens = parseArgs({
      args: argv.filter((arg) => arg !== '--'),
      options: BENCH_OPTIONS,
      strict: true,
      allowPositionals: false,
      tokens: true,
    }).tokens;
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown !== null) throw new FlagError(`unknown argument '${unknown[1]}' (see --help)`);
    const positional = /Unexpected argument '([^']+)'/.exec(message);
    if (positional !== null) throw new FlagError(`unknown argument '${positional[1]}' (see --help)`);
    // 'argument missing' at the end of the line; 'ambiguous' when the next word is itself a flag.
    const missing = /Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(
      message,
    );
    if (missing !== null) throw new FlagError(`${missing[1]} needs a value`);
    const valued = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message);
    if (valued !== null) throw new FlagError(`${valued[1]} takes no value`);
    throw new FlagError(message);
  }
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const name = `--${token.name}`;
    if (token.value === undefined) {
      booleans.add(name);
      continue;
    }
    if (values.has(name)) throw new FlagError(`${name} given twice`);
    values.set(name, token.value);
  }
  return { values, booleans };
}

/**
 * Parse the bench's command line. Relative `--out` and `--model` paths resolve against `cwd` (pass the
 * directory the user ran `pnpm` in: pnpm runs scripts in the package folder and sets INIT_CWD).
 */
export function parseFlags(argv: readonly string[], cwd: string = process.cwd()): BenchFlags {
  const { values, booleans } = parseCommandLine(argv);

  const smoke = booleans.has('--smoke');
  const methodsValue = values.get('--methods');
  const methods =
    methodsValue === undefined || methodsValue.trim() === 'all'
      ? undefined
      : parseList('--methods', methodsValue);

  const fileValue = values.get('--dataset-file');
  if (fileValue !== undefined && fileValue.trim() === '') throw new FlagError('--dataset-file needs a path');
  const datasetFile = fileValue === undefined ? undefined : resolvePath(fileValue, cwd);
  const datasetsValue = values.get('--datasets');
  const datasets =
    datasetsValue === undefined
      ? datasetFile === undefined
        ? [...(smoke ? SMOKE_DATASETS : BENCH_DATASETS)]
        : []
      : datasetsValue.trim() === 'none'
        ? []
        : parseList('--datasets', datasetsValue);
  for (const d of datasets) {
    if (isKnowEditDataset(d)) {
      if (datasetFile === undefined) {
        throw new FlagError(
          `--datasets: ${d} is read from its KnowEdit file: pass --dataset-file <path> (get it from ${KNOWEDIT_SOURCE})`,
        );
      }
    } else if (!(BENCH_DATASETS as readonly string[]).includes(d)) {
      throw new FlagError(
        `--datasets: unknown data set '${d}' (known: ${[...BENCH_DATASETS, ...KNOWEDIT_DATASETS].join(', ')})`,
      );
    }
  }
  if (datasets.filter(isKnowEditDataset).length > 1) {
    throw new FlagError('--datasets: one KnowEdit set per run (the one in --dataset-file)');
  }

  const nValue = values.get('--n');
  const maxN = datasetFile === undefined ? MAX_N : MAX_FILE_N;
  const n = nValue === undefined ? (smoke ? SMOKE_N : DEFAULT_N) : parseInteger('--n', nValue, 1, maxN);
  const seedValue = values.get('--seed');
  const seed = seedValue === undefined ? 0 : parseInteger('--seed', seedValue, 0, 2 ** 32 - 1);

  const modeValue = values.get('--mode') ?? 'single';
  if (!(EDIT_MODES as readonly string[]).includes(modeValue))
    throw new FlagError(`--mode must be one of ${EDIT_MODES.join(', ')}, got '${modeValue}'`);

  const splitValue = values.get('--split') ?? 'eval';
  if (!(BENCH_SPLITS as readonly string[]).includes(splitValue))
    throw new FlagError(`--split must be one of ${BENCH_SPLITS.join(', ')}, got '${splitValue}'`);
  const split = splitValue as BenchSplit;
  const hparamsValue = values.get('--hparams');
  const hparamsFiles = new Map<string, string>();
  for (const item of hparamsValue === undefined ? [] : parseList('--hparams', hparamsValue)) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1)
      throw new FlagError(`--hparams takes METHOD=FILE items (e.g. rome=my-rome.json), got '${item}'`);
    const id = item.slice(0, eq);
    if (hparamsFiles.has(id)) throw new FlagError(`--hparams: method '${id}' given twice`);
    hparamsFiles.set(id, resolvePath(item.slice(eq + 1), cwd));
  }

  // Table E's and Table D's sizes: the flag's value, else on (the smoke or the full size) where the run is
  // the kind the table is defined on, off otherwise.
  const tableSize = (flag: string, on: boolean, sizes: { smoke: number; full: number; max: number }) => {
    const value = values.get(flag);
    if (value !== undefined) return parseInteger(flag, value, 0, sizes.max);
    return on ? (smoke ? sizes.smoke : sizes.full) : 0;
  };
  const sequentialValue = values.get('--sequential-max');
  const sequentialMax = tableSize('--sequential-max', modeValue === 'single' && datasets.includes('zsre'), {
    smoke: SMOKE_SEQUENTIAL_MAX,
    full: DEFAULT_SEQUENTIAL_MAX,
    max: MAX_SEQUENTIAL,
  });
  const multimodalValue = values.get('--multimodal-n');
  const multimodalN = tableSize(
    '--multimodal-n',
    modeValue === 'single' && methods === undefined && (values.get('--model') ?? 'default') === 'default',
    { smoke: SMOKE_MULTIMODAL_N, full: DEFAULT_MULTIMODAL_N, max: MAX_MULTIMODAL_N },
  );
  const multimodalMethodsValue = values.get('--multimodal-methods');
  const multimodalMethods =
    multimodalMethodsValue === undefined
      ? undefined
      : parseList('--multimodal-methods', multimodalMethodsValue);
  if (datasets.length === 0 && datasetFile === undefined && sequentialMax === 0 && multimodalN === 0) {
    throw new FlagError(
      '--datasets none leaves nothing to run: give --sequential-max T for Table E or --multimodal-n N for Table D',
    );
  }

  const jobsValue = values.get('--jobs');
  const jobs = jobsValue === undefined ? 1 : parseInteger('--jobs', jobsValue, 1, 64);
  if (jobs > 1 && values.has('--shard')) {
    throw new FlagError('--jobs runs the shards itself: give --jobs or --shard, not both');
  }
  const resumeValue = values.get('--resume');
  if (resumeValue !== undefined && jobs > 1) {
    throw new FlagError('--resume continues one process: resume each shard of a --jobs run with --shard');
  }
  const resume = resumeValue === undefined ? undefined : resolvePath(resumeValue, cwd);

  const layersValue = values.get('--layers');
  if (layersValue !== undefined && layersValue !== 'auto') {
    throw new FlagError(`--layers takes 'auto' (the layers a causal trace picks), got '${layersValue}'`);
  }
  const layersAuto = layersValue === 'auto';

  const modelValue = values.get('--model');
  const model = modelValue ?? 'default';
  if (model.trim() === '') throw new FlagError('--model needs a checkpoint name or a path');
  const isName = model === 'default' || model === 'micro';
  const outValue = values.get('--out');
  const resolvedModel = isName ? model : resolvePath(model, cwd);
  const mode = modeValue as EditMode;
  const shardValue = values.get('--shard');
  const shard = shardValue === undefined ? undefined : parseShard(shardValue);
  const partial = partialRunName({
    methods,
    datasets: datasets as BenchDataset[],
    n,
    seed,
    model: resolvedModel,
    mode,
    split,
    hparams: [...hparamsFiles.keys()],
    layersAuto,
    ...(shard === undefined ? {} : { shard }),
    ...(sequentialValue === undefined ? {} : { sequentialMax }),
    ...(multimodalValue === undefined ? {} : { multimodalN }),
    ...(multimodalMethods === undefined ? {} : { multimodalMethods }),
  });
  const outKind: BenchFlags['outKind'] =
    outValue !== undefined || resume !== undefined
      ? 'given'
      : smoke
        ? 'smoke'
        : partial === undefined
          ? 'default'
          : 'partial';
  const out =
    outKind === 'given'
      ? resolvePath(outValue ?? (resume as string), cwd)
      : outKind === 'smoke'
        ? SMOKE_OUT
        : outKind === 'partial'
          ? join(PARTIAL_OUT_ROOT, partial as string)
          : DEFAULT_OUT;

  return {
    methods,
    datasets: datasets as BenchDataset[],
    ...(datasetFile === undefined ? {} : { datasetFile }),
    n,
    split,
    hparamsFiles,
    layersAuto,
    model: resolvedModel,
    modelGiven: modelValue !== undefined,
    seed,
    mode,
    out,
    outKind,
    smoke,
    shard,
    sequentialMax,
    multimodalN,
    multimodalMethods,
    jobs,
    ...(resume === undefined ? {} : { resume }),
    help: booleans.has('--help'),
  };
}

/** `k/n` with 1 <= k <= n. */
export function parseShard(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (match === null) throw new FlagError(`--shard takes K/N (e.g. 2/3), got '${value}'`);
  const count = Number(match[2]);
  if (count < 1) throw new FlagError(`--shard: N must be at least 1, got ${count}`);
  const index = parseInteger('--shard K', match[1]!, 1, count);
  return { index, count };
}

/**
 * The folder name of a run that is not the full default one: what differs from the default, e.g.
 * 'rome+ft-l.n50.seed1' or 'counterfact.mode-sequential'; undefined for the full default run.
 */
export function partialRunName(run: {
  methods: readonly string[] | undefined;
  datasets: readonly BenchDataset[];
  n: number;
  seed: number;
  model: string;
  mode: EditMode;
  split?: BenchSplit;
  /** Methods run with `--hparams` files. */
  hparams?: readonly string[];
  /** `--layers auto`. */
  layersAuto?: boolean;
  shard?: Shard;
  /** `--sequential-max`, when given. */
  sequentialMax?: number;
  /** `--multimodal-n` and `--multimodal-methods`, when given. */
  multimodalN?: number;
  multimodalMethods?: readonly string[];
}): string | undefined {
  const parts: string[] = [];
  if (run.methods !== undefined) parts.push(run.methods.join('+'));
  if (run.datasets.length !== BENCH_DATASETS.length || run.datasets.some((d, i) => d !== BENCH_DATASETS[i])) {
    parts.push(run.datasets.length === 0 ? 'none' : run.datasets.join('+'));
  }
  if (run.n !== DEFAULT_N) parts.push(`n${run.n}`);
  if (run.seed !== 0) parts.push(`seed${run.seed}`);
  if (run.model !== 'default') parts.push(`model-${basename(run.model)}`);
  if (run.mode !== 'single') parts.push(`mode-${run.mode}`);
  if (run.split !== undefined && run.split !== 'eval') parts.push(`split-${run.split}`);
  if (run.hparams !== undefined && run.hparams.length > 0) parts.push(`hparams-${run.hparams.join('+')}`);
  if (run.layersAuto === true) parts.push('layers-auto');
  if (run.sequentialMax !== undefined && run.sequentialMax !== DEFAULT_SEQUENTIAL_MAX)
    parts.push(`sequential-max-${run.sequentialMax}`);
  if (run.multimodalN !== undefined && run.multimodalN !== DEFAULT_MULTIMODAL_N)
    parts.push(`multimodal-n${run.multimodalN}`);
  if (run.multimodalMethods !== undefined) parts.push(`multimodal-${run.multimodalMethods.join('+')}`);
  if (run.shard !== undefined) parts.push(`shard-${run.shard.index}-of-${run.shard.count}`);
  if (parts.length === 0) return undefined;
  return parts.join('.').replace(/[^A-Za-z0-9+._-]/g, '_');
}

function resolvePath(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}
