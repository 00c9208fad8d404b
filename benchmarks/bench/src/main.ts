import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type EditRequest,
  HparamsFileError,
  initBackend,
  LlmeditError,
  readEasyEditYaml,
  UnknownMethodError,
} from '@llmedit/core';
import { loadKnowEditFile } from '@llmedit/datasets';
import { DEFAULT_VLM, loadDefaultVlm } from '@llmedit/multimodal';
import type { BenchMethod } from './bench-method.js';
import { checkpointBuilt, loadBenchModel } from './bench-model.js';
import { describeShape } from './checkpoints.js';
import {
  type BenchDataset,
  type BenchFlags,
  FlagError,
  isKnowEditDataset,
  type KnowEditDataset,
  PARTIAL_OUT_ROOT,
  parseFlags,
  USAGE,
} from './flags.js';
import { runJobs } from './jobs.js';
import { MergeError, mergeShards, readShards } from './merge.js';
import { methodPackages } from './method-packages.js';
import { BENCH_METHODS } from './methods.js';
import { MULTIMODAL_BENCH_METHODS } from './multimodal-methods.js';
import { progressBar } from './progress.js';
import { renderHtml } from './report-html.js';
import { type BenchResults, environment, writeFileAtomic } from './results.js';
import { type MultimodalRunOptions, ResumeError, type RunOptions, runBench } from './run.js';
import { buildTables, renderMarkdown } from './tables.js';

/** Packages whose versions results.json records, besides the packages of the methods that ran. */
const RECORDED_PACKAGES = [
  '@llmedit/bench',
  '@llmedit/core',
  '@llmedit/models',
  '@llmedit/evaluate',
  '@llmedit/datasets',
  '@llmedit/pretrained',
];

export interface MainOptions {
  /** Where relative paths in flags resolve (pnpm runs scripts in the package folder; INIT_CWD is the user's). */
  cwd?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream;
  /** Method list (tests pass a smaller one); default: src/methods.ts. */
  methods?: readonly BenchMethod[];
  /** Install the Ctrl-C handler (the CLI does; tests do not). */
  handleSigint?: boolean;
  /** Evaluation overrides, for tests. */
  evaluation?: RunOptions['evaluation'];
}

/** Pick the requested methods, in the order asked; unknown ids list the known ones. */
export function selectMethods(
  all: readonly BenchMethod[],
  ids: readonly string[] | undefined,
): BenchMethod[] {
  if (ids === undefined) return [...all];
  return ids.map((id) => {
    const entry = all.find((m) => m.method.id === id);
    if (entry === undefined)
      throw new UnknownMethodError(
        id,
        all.map((m) => m.method.id),
      );
    return entry;
  });
}

/** A KnowEdit file read for `--dataset-file`: the data set it is, and its requests. */
export interface DatasetFile {
  dataset: KnowEditDataset;
  requests: EditRequest[];
  /** What was left out of the file, for the console: probes without answer. */
  notes: string[];
}

/**
 * Read `--dataset-file` (strict: a malformed record is an error naming it; probes without any answer, which
 * the upstream files hold, are dropped and counted) and check it against the KnowEdit name in `--datasets`.
 */
export function readDatasetFile(
  flags: Pick<BenchFlags, 'datasets' | 'datasetFile'>,
): DatasetFile | undefined {
  if (flags.datasetFile === undefined) return undefined;
  const loaded = loadKnowEditFile(flags.datasetFile);
  const dataset: KnowEditDataset = `knowedit-${loaded.shape}`;
  const named = flags.datasets.find(isKnowEditDataset);
  if (named !== undefined && named !== dataset) {
    throw new FlagError(`--datasets names ${named}, but ${flags.datasetFile} is a ${dataset} file`);
  }
  const notes =
    loaded.droppedProbes.length === 0
      ? []
      : [
          `${flags.datasetFile}: ${loaded.droppedProbes.length} probe(s) without any answer left out ` +
            `(first: record ${loaded.droppedProbes[0]?.index}, ${loaded.droppedProbes[0]?.field})`,
        ];
  if (loaded.sharedLocality.length > 0) {
    notes.push(
      `${flags.datasetFile}: ${loaded.sharedLocality.length} shared locality questions not evaluated`,
    );
  }
  return { dataset, requests: loaded.requests, notes };
}

/** results.json: readable top level, one line per record (diffable, and a third of the indented size). */
export function serializeResults(results: BenchResults): string {
  const lines = (items: readonly unknown[]) =>
    items.length === 0 ? '[]' : `[\n${items.map((r) => `    ${JSON.stringify(r)}`).join(',\n')}\n  ]`;
  const head = JSON.stringify({ ...results, pre: '\u0000pre', records: '\u0000records' }, null, 2);
  return `${head
    .replace('"\\u0000pre"', () => lines(results.pre))
    .replace('"\\u0000records"', () => lines(results.records))}\n`;
}

export interface WrittenFiles {
  results: string;
  table: string;
  report: string;
}

export function writeOutputs(results: BenchResults, out: string): WrittenFiles {
  mkdirSync(out, { recursive: true });
  const tables = buildTables(results);
  const files = {
    results: join(out, 'results.json'),
    table: join(out, 'table.md'),
    report: join(out, 'report.html'),
  };
  writeFileAtomic(files.results, serializeResults(results));
  writeFileAtomic(files.table, renderMarkdown(results, tables));
  writeFileAtomic(files.report, renderHtml(results, tables));
  return files;
}

/**
 * `--hparams`: each file's hyperparameters, by method id. A `.yaml`/`.yml` file is read as EasyEdit writes
 * them (alg_name, model_name and device keys set aside); anything else is a JSON object. A method id that is
 * not in the run, or a file that cannot be read, is a FlagError / HparamsFileError before anything runs.
 */
export function readHparamsFiles(
  files: ReadonlyMap<string, string>,
  methods: readonly BenchMethod[],
): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [id, path] of files) {
    if (!methods.some((m) => m.method.id === id)) {
      throw new FlagError(
        `--hparams: method '${id}' is not in this run (${methods.map((m) => m.method.id).join(', ')})`,
      );
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new HparamsFileError(path, `cannot be read: ${(error as Error).message}`, { cause: error });
    }
    if (/\.ya?ml$/i.test(path)) {
      out.set(id, readEasyEditYaml(text, { source: path }).hparams);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new HparamsFileError(path, `not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new HparamsFileError(path, 'expected a JSON object of hyperparameters');
    }
    out.set(id, value as Record<string, unknown>);
  }
  return out;
}

/** The `pnpm bench` command. Returns the exit code: 0 done, 1 a method failed, 2 bad flags, 130 interrupted. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  if (argv[0] === 'merge') return mergeMain(argv.slice(1), options.cwd ?? process.cwd(), stdout, stderr);
  const all = options.methods ?? BENCH_METHODS;
  let flags: ReturnType<typeof parseFlags>;
  let methods: BenchMethod[];
  try {
    flags = parseFlags(argv, options.cwd);
    methods = selectMethods(all, flags.methods);
  } catch (error) {
    if (error instanceof FlagError || error instanceof UnknownMethodError) {
      stderr.write(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (flags.help) {
    stdout.write(`${USAGE}\nRegistered methods: ${all.map((m) => m.method.id).join(', ')}\n`);
    return 0;
  }
  let file: DatasetFile | undefined;
  try {
    file = readDatasetFile(flags);
  } catch (error) {
    if (error instanceof LlmeditError) {
      stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let hparamsOverrides: Map<string, Record<string, unknown>>;
  try {
    hparamsOverrides = readHparamsFiles(flags.hparamsFiles, methods);
  } catch (error) {
    if (error instanceof LlmeditError) {
      stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const datasets: BenchDataset[] = flags.datasets.filter((d) => !isKnowEditDataset(d));
  if (file !== undefined) {
    datasets.push(file.dataset);
    for (const note of file.notes) stderr.write(`${note}\n`);
  }

  if (flags.jobs > 1) return jobsMain(argv, flags, options.cwd ?? process.cwd(), stdout, stderr);

  if (flags.outKind === 'partial') {
    stderr.write(
      `Not the full default run: writing to ${flags.out} ` +
        '(benchmarks/results/latest/ is only replaced by a full default run, or with --out).\n',
    );
  }

  let modelName = flags.model;
  if (modelName === 'default' && !checkpointBuilt('default')) {
    if (flags.smoke && !flags.modelGiven) {
      stderr.write("The default checkpoint is not built yet: the smoke run uses the 'micro' model.\n");
      modelName = 'micro';
    } else {
      stderr.write(
        "The default checkpoint is not built: run `pnpm --filter @llmedit/pretrained train default`, or pass '--model micro'.\n",
      );
      return 2;
    }
  }

  const backend = await initBackend();
  let bench: ReturnType<typeof loadBenchModel>;
  try {
    bench = loadBenchModel(modelName);
  } catch (error) {
    if (error instanceof LlmeditError) {
      stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  stdout.write(
    `llmedit bench: backend ${backend.name}, model ${bench.name} (${bench.model.modelId}; presets: ` +
      `${bench.preset ?? `none, no checkpoint with presets has its shape (${describeShape(bench.model.config)})`}), ` +
      `${methods.map((m) => m.method.id).join(', ')} on ${datasets.join(', ')}, n=${flags.n}, ` +
      `${flags.mode} mode, seed ${flags.seed}` +
      `${flags.sequentialMax > 0 ? `; Table E: ${flags.sequentialMax} sequential zsre edits per method` : ''}` +
      `${flags.multimodalN > 0 ? `; Table D: ${flags.multimodalN} E-VQA and E-IC records per multimodal method` : ''}\n`,
  );

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort();
    stderr.write(
      '\nInterrupted: finishing the current edit, then writing the partial results (Ctrl-C again quits now).\n',
    );
  };
  if (options.handleSigint) process.on('SIGINT', onSigint);

  let resume: BenchResults | undefined;
  if (flags.resume !== undefined) {
    const file = join(flags.resume, 'results.json');
    try {
      resume = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    } catch (error) {
      stderr.write(`--resume: cannot read ${file} (${(error as Error).message.split('\n')[0]})\n`);
      return 2;
    }
  }

  let multimodal: MultimodalRunOptions | undefined;
  if (flags.multimodalN > 0) {
    try {
      multimodal = loadMultimodal(flags);
    } catch (error) {
      if (error instanceof LlmeditError) {
        stderr.write(`Table D: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  }
  const packageOf = await methodPackages(methods.map((m) => m.method));
  const bar = progressBar(stderr);
  mkdirSync(flags.out, { recursive: true });
  let results: BenchResults;
  try {
    results = await runBench({
      bench,
      methods,
      datasets,
      ...(file === undefined ? {} : { fileRecords: { [file.dataset]: file.requests } }),
      n: flags.n,
      seed: flags.seed,
      mode: flags.mode,
      smoke: flags.smoke,
      environment: environment(backend, options.cwd ?? process.cwd(), [
        ...RECORDED_PACKAGES,
        ...new Set(packageOf.values()),
      ]),
      methodPackages: packageOf,
      signal: controller.signal,
      ...(flags.shard === undefined ? {} : { shard: flags.shard }),
      split: flags.split,
      ...(flags.layersAuto ? { layersAuto: true } : {}),
      ...(flags.sequentialMax > 0 ? { sequentialMax: flags.sequentialMax } : {}),
      ...(multimodal === undefined ? {} : { multimodal }),
      ...(resume === undefined ? {} : { resume }),
      ...(hparamsOverrides.size === 0
        ? {}
        : { hparamsOverrides, hparamsFiles: Object.fromEntries(flags.hparamsFiles) }),
      onProgress: (event) => bar.update(event),
      // Partial results stay readable even if the process is killed hard.
      onCheckpoint: (partial) => writeFileAtomic(join(flags.out, 'results.json'), serializeResults(partial)),
      ...(options.evaluation === undefined ? {} : { evaluation: options.evaluation }),
    });
  } catch (error) {
    if (error instanceof ResumeError) {
      stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    bar.done();
    if (options.handleSigint) process.off('SIGINT', onSigint);
  }

  return report(results, flags, stdout, stderr);
}

/** Table D's VLM and methods (`--multimodal-n`, `--multimodal-methods`). */
function loadMultimodal(flags: BenchFlags): MultimodalRunOptions {
  const wanted = flags.multimodalMethods;
  const known = MULTIMODAL_BENCH_METHODS.map((m) => m.method.id);
  const unknown = wanted?.filter((id) => !known.includes(id)) ?? [];
  if (unknown.length > 0) {
    throw new FlagError(
      `--multimodal-methods: unknown method(s) ${unknown.join(', ')} (known: ${known.join(', ')})`,
    );
  }
  const methods = MULTIMODAL_BENCH_METHODS.filter(
    (m) => wanted === undefined || wanted.includes(m.method.id),
  );
  return { vlm: loadDefaultVlm(), name: DEFAULT_VLM, methods, n: flags.multimodalN };
}

/** Write the outputs, print the tables, and say what failed: the exit code of a run. */
function report(
  results: BenchResults,
  flags: BenchFlags,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): number {
  const files = writeOutputs(results, flags.out);
  stdout.write(`\n${renderMarkdown(results)}\n`);
  stdout.write(
    `Wrote ${files.results}, ${files.table} and ${files.report} ` +
      `(${(results.wallMs / 1000).toFixed(1)} s${results.complete ? '' : ', partial'}).\n`,
  );
  if (!results.complete) return 130;
  const failed = [
    ...results.runs.filter((r) => r.status === 'failed'),
    ...(results.sequential?.runs ?? [])
      .filter((r) => r.status === 'failed')
      .map((r) => ({ ...r, dataset: 'the zsre sequence (Table E)' })),
    ...(results.multimodal?.runs ?? [])
      .filter((r) => r.status === 'failed')
      .map((r) => ({ ...r, dataset: `${r.dataset} (Table D)` })),
  ];
  for (const r of failed) stderr.write(`${r.method} on ${r.dataset} failed: ${r.reason}\n`);
  if (failed.length > 0) return 1;
  // A full run reports failed edits in Table C; the smoke run exists to catch them, so any one fails it.
  const failedEdits = [
    ...results.records.filter((r) => r.error !== undefined),
    ...(results.multimodal?.runs ?? []).flatMap((run) =>
      run.records
        .filter((r) => r.error !== undefined)
        .map((r) => ({ method: run.method, dataset: run.dataset, id: String(r.index), error: r.error })),
    ),
  ];
  if (flags.smoke && failedEdits.length > 0) {
    for (const r of failedEdits) stderr.write(`${r.method} on ${r.dataset}, record ${r.id}: ${r.error}\n`);
    return 1;
  }
  return 0;
}

/** `--jobs N`: the run as N shards in child processes, merged; the exit code as one run's. */
async function jobsMain(
  argv: readonly string[],
  flags: BenchFlags,
  cwd: string,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  stdout.write(`llmedit bench: ${flags.jobs} jobs side by side, merged into ${flags.out}\n`);
  // The shards' own folders go beside the partial runs (git-ignored), not into the committed output folder.
  const jobsRoot = join(PARTIAL_OUT_ROOT, `jobs-${basename(flags.out)}-${process.pid}`);
  const outcome = await runJobs(argv, flags.jobs, jobsRoot, cwd, (event) => {
    stderr.write(
      event.state === 'started'
        ? `job ${event.shard} started (log: ${event.log})\n`
        : `job ${event.shard} finished with exit code ${event.code}\n`,
    );
  });
  if (outcome.results === undefined) {
    for (const job of outcome.jobs.filter((j) => j.code !== 0 && j.code !== 1))
      stderr.write(`job ${job.shard} did not finish (exit code ${job.code}): see ${job.log}\n`);
    return Math.max(...outcome.jobs.map((j) => j.code));
  }
  return report(outcome.results, flags, stdout, stderr);
}

/** `pnpm bench merge DIR... [--out DIR]`: 0 written, 2 bad arguments or shards that do not make one run. */
function mergeMain(
  argv: readonly string[],
  cwd: string,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): number {
  let dirs: string[];
  let out: string | undefined;
  try {
    const parsed = parseArgs({
      args: argv.filter((arg) => arg !== '--'),
      options: { out: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    dirs = parsed.positionals.map((dir) => resolve(cwd, dir));
    out = parsed.values.out;
  } catch (error) {
    stderr.write(`${(error as Error).message} (see --help)\n\n${USAGE}`);
    return 2;
  }
  if (dirs.length === 0) {
    stderr.write(`merge needs the output folders of the shards\n\n${USAGE}`);
    return 2;
  }
  let merged: BenchResults;
  try {
    merged = mergeShards(readShards(dirs));
  } catch (error) {
    if (error instanceof MergeError) {
      stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const files = writeOutputs(
    merged,
    out === undefined ? join(dirname(dirs[0]!), 'merged') : resolve(cwd, out),
  );
  stdout.write(`\n${renderMarkdown(merged)}\nWrote ${files.results}, ${files.table} and ${files.report}.\n`);
  return 0;
}
