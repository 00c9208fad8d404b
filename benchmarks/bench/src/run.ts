import {
  type AnyEditMethod,
  type EditMode,
  type EditRequest,
  type EditResult,
  type EditStep,
  edit,
  LlmeditError,
  MissingPresetError,
} from '@llmedit/core';
import {
  loadCounterFactSplit,
  loadSplit,
  loadZsreSplit,
  type SplitDataset,
  zsreToRomeRequest,
} from '@llmedit/datasets';
import {
  computePreEditParallel,
  type EvaluationRequest,
  evaluateRequests,
  evaluateRequestsParallel,
  type PostEditOptions,
  PreEditCache,
  type RecordResult,
} from '@llmedit/evaluate';
import type { CausalLM } from '@llmedit/models';
import type { BenchMethod, BenchModel, Prepared } from './bench-method.js';
import { LAYERS_AUTO_BASE_PRESET, LAYERS_AUTO_METHODS } from './checkpoints.js';
import { observingEditCalls } from './edit-calls.js';
import { type BenchDataset, type BenchSplit, isKnowEditDataset } from './flags.js';
import { type LayerTrace, layersBelow, traceEditLayer } from './layers-auto.js';
import {
  MULTIMODAL_DATASETS,
  type MultimodalBenchMethod,
  type MultimodalData,
  type MultimodalDataset,
  multimodalData,
  multimodalPre,
  runMultimodalUnit,
} from './multimodal.js';
import type { BenchResults, EditRecord, Environment, MethodRun, Shard } from './results.js';
import { RESULTS_SCHEMA } from './results.js';
import {
  runSequence,
  type SequentialRun,
  sequentialCheckpoints,
  sequentialEvaluation,
  sequentialPre,
  sequentialRecords,
} from './sequential.js';

/** What the progress display gets after every edit (and when a phase starts). */
export interface ProgressEvent {
  /** Edits done and planned over the whole run (the unit of the ETA). */
  done: number;
  total: number;
  /** What is running now: 'pre-edit counterfact', 'rome on zsre', ... */
  phase: string;
}

export interface RunOptions {
  bench: BenchModel;
  methods: readonly BenchMethod[];
  datasets: readonly BenchDataset[];
  n: number;
  seed: number;
  mode: EditMode;
  smoke: boolean;
  environment: Environment;
  /** Method id -> the package it comes from (recorded in results.json's method list). */
  methodPackages?: ReadonlyMap<string, string>;
  /** Stop after the current edit when aborted (Ctrl-C); the results so far are returned, `complete: false`. */
  signal?: AbortSignal;
  onProgress?(event: ProgressEvent): void;
  /** Called with the results so far after every (method, data set) run, to save partial results. */
  onCheckpoint?(results: BenchResults): void;
  /** Overrides the per-data-set evaluation settings (tests use cheaper ones). */
  evaluation?: Partial<Record<BenchDataset, PostEditOptions>>;
  /** The records of data sets read from the user's files (`--dataset-file`), by data set name. */
  fileRecords?: Partial<Record<BenchDataset, readonly EditRequest[]>>;
  /** Run only this shard's (method, data set) units (see `shardUnits`). */
  shard?: Shard;
  /**
   * Which split of the shipped data sets is edited: 'eval' (default, what the table reports) or 'train',
   * for tuning hyperparameters (the edited training records are then left out of what methods train on).
   */
  split?: BenchSplit;
  /** Method id -> hyperparameters that replace its preset (`--hparams`), merged over its defaults. */
  hparamsOverrides?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Method id -> the file `hparamsOverrides` came from (recorded in results.json). */
  hparamsFiles?: Record<string, string>;
  /**
   * `--layers auto`: ROME / R-ROME / MEMIT without a preset for the model run with GPT-2 XL's values at the
   * layers a causal trace picks (see layers-auto.ts).
   */
  layersAuto?: boolean;
  /** Table E: each method's sequence of this many ZsRE edits (see sequential.ts); absent: no Table E. */
  sequentialMax?: number;
  /** Table D: multimodal methods on the default VLM's E-VQA and E-IC (see multimodal.ts); absent: no Table D. */
  multimodal?: MultimodalRunOptions;
  /**
   * `--resume`: the partial results of this same run (interrupted, or its process died): the units it
   * finished are kept as they are and only the others run.
   */
  resume?: BenchResults;
}

/**
 * The (method, data set) units of a run, in the order a whole run takes them, and for a shard the ones it
 * takes: every count-th unit starting at index - 1. Deterministic, so shards on different machines cover
 * the run exactly once.
 */
export function shardUnits<M>(
  methods: readonly M[],
  datasets: readonly BenchDataset[],
  shard?: Shard,
  /** Whether the run has Table E: then each method's ZsRE sequence is one more unit, after the others. */
  sequential = false,
): BenchUnit<M>[] {
  const units: BenchUnit<M>[] = methods.flatMap((method) => datasets.map((dataset) => ({ method, dataset })));
  if (sequential)
    units.push(...methods.map((method) => ({ method, dataset: 'zsre' as const, table: 'E' as const })));
  return shard === undefined ? units : units.filter((_, u) => u % shard.count === shard.index - 1);
}

export interface MultimodalRunOptions {
  vlm: import('@llmedit/multimodal').VisionLanguageModel;
  /** The VLM's name in the results ('default-vlm'). */
  name: string;
  methods: readonly MultimodalBenchMethod[];
  /** Records per data set. */
  n: number;
}

/**
 * Table D's (method, data set) units this run takes. They follow the text and Table E units in the shard
 * order (`first` is how many of those the whole run has), so shards split them like the others.
 */
export function multimodalUnits<M>(
  methods: readonly M[],
  first: number,
  shard?: Shard,
): { method: M; dataset: MultimodalDataset }[] {
  const units = methods.flatMap((method) => MULTIMODAL_DATASETS.map((dataset) => ({ method, dataset })));
  return shard === undefined ? units : units.filter((_, u) => (first + u) % shard.count === shard.index - 1);
}

/** `--resume` was given results that are not an unfinished run of the same command. */
export class ResumeError extends LlmeditError {
  constructor(reason: string) {
    super('BENCH_RESUME', `--resume: ${reason}`);
  }
}

/** One unit of work of a run: a method on a data set (single/batch/sequential mode), or its Table E sequence. */
export interface BenchUnit<M> {
  method: M;
  dataset: BenchDataset;
  table?: 'E';
}

/** The key a unit's runs and records are merged by. */
export function unitKey(unit: { method: string; dataset: string; table?: 'E' }): string {
  return `${unit.method}\u0000${unit.dataset}\u0000${unit.table ?? ''}`;
}

/** CounterFact generation prompts per record for GE (ROME uses all ten; each costs a 100-token sample). */
export const GE_PROMPTS = 2;

/**
 * The evaluation of each data set. ZsRE: the EasyEdit protocol (reliability, generalization, locality,
 * portability) and fluency. CounterFact: the same plus ROME's suite (ES, PS, NS, EM, PM, NM, and GE over
 * the record's first GE_PROMPTS generation prompts). Generations are seeded top-5 samples of 100 tokens, as
 * ROME's generate_fast. ZsRE under ROME's protocol ('zsre-rome'): the 'rome-zsre' suite only (efficacy,
 * paraphrase, specificity; no generation, so it stays cheap).
 */
export function evaluationSettings(dataset: BenchDataset, seed: number): PostEditOptions {
  if (dataset === 'zsre-rome') return { suites: ['rome-zsre'], seed };
  // KnowEdit is evaluated as EasyEdit's run_knowedit script does: the EasyEdit protocol and fluency.
  if (dataset === 'zsre' || isKnowEditDataset(dataset)) return { suites: ['easyedit'], fluency: true, seed };
  return {
    suites: ['easyedit', 'counterfact'],
    fluency: true,
    generationEntropy: { maxPrompts: GE_PROMPTS },
    seed,
  };
}

interface DatasetRecords {
  /** What the method edits (plain EditRequests). */
  requests: EditRequest[];
  /** The same records with CounterFact's generation prompts, for evaluation. */
  evaluation: EvaluationRequest[];
}

/**
 * The first `n` records of a data set's evaluation split (the split order is a fixed random sample), or of
 * the records read from the user's file for it.
 */
export function loadRecords(
  dataset: BenchDataset,
  n: number,
  fileRecords: RunOptions['fileRecords'] = {},
  split: BenchSplit = 'eval',
): DatasetRecords {
  if (isKnowEditDataset(dataset)) {
    const requests = fileRecords[dataset]?.slice(0, n);
    if (requests === undefined) throw new Error(`no records were read for ${dataset}`);
    return { requests, evaluation: requests };
  }
  if (dataset === 'counterfact') {
    const loaded = loadCounterFactSplit(split);
    const requests = loaded.requests.slice(0, n);
    const evaluation = requests.map((request, i) => ({
      ...request,
      generationPrompts: loaded.records[i]!.generationPrompts,
    }));
    return { requests, evaluation };
  }
  if (dataset === 'zsre-rome') {
    // ROME's MENDQADataset: each record is edited to its true answer answers[0].
    const requests = loadZsreSplit(split).records.slice(0, n).map(zsreToRomeRequest);
    return { requests, evaluation: requests };
  }
  const requests = loadSplit(dataset, split).slice(0, n);
  return { requests, evaluation: requests };
}

function packageField(name: string | undefined): { package?: string } {
  return name === undefined ? {} : { package: name };
}

/**
 * The shipped training split a method trains on (SERAC's classifier, IKE's demonstrations) for a data set:
 * its own, or for a KnowEdit set the shipped split of the same question style (KnowEdit's files are
 * evaluated as given; their train files are not read). ZsRE under ROME's protocol trains on ZsRE's.
 */
export function trainingSplit(dataset: BenchDataset): SplitDataset {
  if (dataset === 'zsre-rome') return 'zsre';
  if (!isKnowEditDataset(dataset)) return dataset;
  return dataset === 'knowedit-zsre' ? 'zsre' : 'counterfact';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

function stepOf(result: EditResult<unknown, CausalLM, unknown>, requestIndex: number): EditStep | undefined {
  return result.steps.find((s) => s.requestIndices.includes(requestIndex));
}

/**
 * Run every method on every data set and collect per-edit records. Each record is edited from the original
 * weights in 'single' mode (and the edit reverted before the next); 'batch' edits all n records in one call;
 * 'sequential' edits them one after another without reverting and evaluates them all at the end.
 */
export async function runBench(options: RunOptions): Promise<BenchResults> {
  const { bench, methods, datasets, n, seed, mode, signal } = options;
  const { model } = bench;
  const started = performance.now();
  const sequentialMax = options.sequentialMax;
  const units = shardUnits(methods, datasets, options.shard, sequentialMax !== undefined);
  const sizeOf = (unit: BenchUnit<unknown>) =>
    unit.table === 'E'
      ? sequentialMax!
      : isKnowEditDataset(unit.dataset)
        ? Math.min(n, options.fileRecords?.[unit.dataset]?.length ?? 0)
        : n;
  const mm = options.multimodal;
  const textUnits = shardUnits(methods, datasets, undefined, sequentialMax !== undefined).length;
  const mmUnits = mm === undefined ? [] : multimodalUnits(mm.methods, textUnits, options.shard);
  const total = units.reduce((sum, unit) => sum + sizeOf(unit), 0) + mmUnits.length * (mm?.n ?? 0);
  // A resumed run keeps the units its earlier process finished (a unit cut short, 'partial', runs again).
  const resume = options.resume;
  const finished = new Set(
    [
      ...(resume?.runs ?? []),
      ...(resume?.sequential?.runs.map((r) => ({ ...r, dataset: 'zsre', table: 'E' as const })) ?? []),
    ]
      .filter((r) => r.status !== 'partial')
      .map(unitKey),
  );
  const keyOf = (u: BenchUnit<BenchMethod>) =>
    unitKey({
      method: u.method.method.id,
      dataset: u.dataset,
      ...(u.table === undefined ? {} : { table: u.table }),
    });
  const remaining = units.filter((u) => !finished.has(keyOf(u)));
  let done = units.filter((u) => finished.has(keyOf(u))).reduce((sum, unit) => sum + sizeOf(unit), 0);
  const progress = (phase: string) => options.onProgress?.({ done, total, phase });

  const settings = Object.fromEntries(
    datasets.map((d) => [d, options.evaluation?.[d] ?? evaluationSettings(d, seed)]),
  ) as Record<BenchDataset, PostEditOptions>;
  const parameters = model.weightNames().reduce((s, name) => s + model.weight(name).size, 0);
  const results: BenchResults = {
    schema: RESULTS_SCHEMA,
    complete: false,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    wallMs: 0,
    options: {
      methods: methods.map((m) => m.method.id),
      datasets: [...datasets],
      n,
      seed,
      mode,
      smoke: options.smoke,
      ...(options.shard === undefined ? {} : { shard: options.shard }),
      ...(options.split === undefined || options.split === 'eval' ? {} : { split: options.split }),
      ...(options.hparamsFiles === undefined ? {} : { hparamsFiles: options.hparamsFiles }),
      ...(options.layersAuto === true ? { layersAuto: true as const } : {}),
      ...(sequentialMax === undefined ? {} : { sequentialMax }),
      ...(mm === undefined ? {} : { multimodal: { n: mm.n, methods: mm.methods.map((m) => m.method.id) } }),
    },
    model: {
      name: bench.name,
      hash: model.modelId,
      architecture: model.config.architecture,
      numLayers: model.config.numLayers,
      hiddenSize: model.config.hiddenSize,
      vocabSize: model.config.vocabSize,
      parameters,
      preset: bench.preset ?? null,
    },
    evaluation: settings,
    environment: options.environment,
    methods: methods.map(({ method, published }) => ({
      id: method.id,
      displayName: method.displayName,
      ...(method.paper === undefined ? {} : { paper: method.paper }),
      published,
      ...packageField(options.methodPackages?.get(method.id)),
    })),
    runs: [],
    pre: [],
    records: [],
  };
  if (resume !== undefined) {
    if (resume.complete) throw new ResumeError('the run is complete: there is nothing to resume');
    if (JSON.stringify(resume.options) !== JSON.stringify(results.options))
      throw new ResumeError(
        `its options differ from this command's: ${JSON.stringify(resume.options)} vs ${JSON.stringify(results.options)}`,
      );
    if (resume.model.hash !== results.model.hash)
      throw new ResumeError(`it ran on model ${resume.model.hash}, this command loads ${results.model.hash}`);
    const kept = (r: { method: string; dataset: string }) => finished.has(unitKey(r));
    results.startedAt = resume.startedAt;
    // The environment of the run's start stays; each resumption records its own start and commit.
    results.environment = resume.environment;
    results.resumed = [
      ...(resume.resumed ?? []),
      {
        startedAt: new Date().toISOString(),
        gitCommit: options.environment.gitCommit,
        ...(options.environment.gitDirty === undefined ? {} : { gitDirty: options.environment.gitDirty }),
      },
    ];
    results.runs = resume.runs.filter(kept);
    results.records = resume.records.filter(kept);
    results.pre = [...resume.pre];
    if (resume.sequential !== undefined) {
      results.sequential = {
        ...resume.sequential,
        runs: resume.sequential.runs.filter((r) =>
          finished.has(unitKey({ ...r, dataset: 'zsre', table: 'E' })),
        ),
      };
    }
  }
  if (resume?.multimodal !== undefined) {
    results.multimodal = {
      ...resume.multimodal,
      runs: resume.multimodal.runs.filter((r) => r.status !== 'partial'),
    };
  }
  const earlierMs = resume?.wallMs ?? 0;
  const finish = (complete: boolean): BenchResults => {
    results.complete = complete;
    results.finishedAt = new Date().toISOString();
    results.wallMs = earlierMs + performance.now() - started;
    return results;
  };

  // Pre-edit values once per data set: the locality reference and the "(unedited)" rows.
  const cache = new PreEditCache();
  const records = new Map<BenchDataset, DatasetRecords>();
  for (const dataset of datasets.filter((d) =>
    remaining.some((u) => u.dataset === d && u.table === undefined),
  )) {
    if (signal?.aborted) return finish(false);
    progress(`pre-edit ${dataset}`);
    const data = loadRecords(dataset, n, options.fileRecords, options.split);
    records.set(dataset, data);
    // All records at once (batched generation), on every core: the unedited model does not change.
    const pre = await computePreEditParallel(model, data.evaluation, { ...settings[dataset], cache });
    // A resumed run has them already (the same values: the unedited model and the records are the same).
    if (results.pre.some((p) => p.dataset === dataset)) continue;
    pre.forEach((p, index) => {
      results.pre.push({
        dataset,
        index,
        id: data.requests[index]!.id ?? String(index),
        metrics: p.result.metrics,
      });
    });
  }

  // --layers auto: one causal trace per run, on the first method that needs it.
  let layerTrace: LayerTrace | undefined;
  const traceLayers = options.layersAuto
    ? () => {
        layerTrace ??= traceEditLayer(model, { seed });
        return layerTrace;
      }
    : undefined;

  // Table E: the sequence's records and the unedited model's values on them (the locality reference).
  let sequence: { requests: EditRequest[]; evaluate: PostEditOptions } | undefined;
  if (sequentialMax !== undefined && remaining.some((u) => u.table === 'E')) {
    progress('pre-edit zsre sequence');
    const { requests, sources } = sequentialRecords(sequentialMax, options.split);
    const evaluate = options.evaluation?.zsre ?? sequentialEvaluation(seed);
    const pre = await sequentialPre(model, requests, { ...evaluate, cache });
    sequence = { requests, evaluate: { ...evaluate, pre: cache, preModelId: model.modelId } };
    results.sequential ??= {
      dataset: 'zsre',
      max: sequentialMax,
      checkpoints: sequentialCheckpoints(sequentialMax),
      sources,
      pre,
      runs: [],
    };
  }

  for (const unit of remaining) {
    const { method: entry, dataset } = unit;
    if (signal?.aborted) return finish(false);
    if (unit.table === 'E') {
      const run = await runSequentialUnit(entry, sequence!, results.sequential!.checkpoints, {
        bench,
        smoke: options.smoke,
        seed,
        signal,
        split: options.split ?? 'eval',
        hparamsOverride: options.hparamsOverrides?.get(entry.method.id),
        traceLayers,
        onEdited() {
          done += 1;
          progress(`${entry.method.id}: zsre sequence`);
        },
      });
      // Edits a failed or skipped sequence never made still count as done, so that the total adds up.
      done += sequentialMax! - run.edited;
      results.sequential!.runs.push(run.run);
      if (run.run.status === 'failed')
        progress(`${entry.method.id}: zsre sequence failed: ${run.run.reason}`);
      options.onCheckpoint?.({ ...results, wallMs: performance.now() - started });
      continue;
    }
    const data = records.get(dataset)!;
    const run = await runOne(entry, dataset, data, {
      bench,
      smoke: options.smoke,
      seed,
      mode,
      signal,
      split: options.split ?? 'eval',
      hparamsOverride: options.hparamsOverrides?.get(entry.method.id),
      traceLayers,
      evaluate: { ...settings[dataset], pre: cache, preModelId: model.modelId },
      onRecord: (record) => results.records.push(record),
      onEdited(count) {
        done += count;
        progress(`${entry.method.id} on ${dataset}`);
      },
      onStart: () => progress(`${entry.method.id} on ${dataset}`),
    });
    results.runs.push(run);
    if (run.status === 'failed') progress(`${entry.method.id} on ${dataset} failed: ${run.reason}`);
    options.onCheckpoint?.({ ...results, wallMs: performance.now() - started });
  }
  if (mm !== undefined) {
    const finishedD = new Set(results.multimodal?.runs.map((r) => `${r.method}\u0000${r.dataset}`) ?? []);
    const pending = mmUnits.filter((u) => !finishedD.has(`${u.method.method.id}\u0000${u.dataset}`));
    done += (mmUnits.length - pending.length) * mm.n;
    const languageModel = mm.vlm.languageModel.modelId;
    results.multimodal ??= {
      n: mm.n,
      vlm: { name: mm.name, hash: mm.vlm.modelId, languageModel },
      methods: mm.methods.map(({ method, published }) => ({
        id: method.id,
        displayName: method.displayName,
        ...(published === undefined ? {} : { published }),
      })),
      pre: {},
      runs: [],
    };
    const dataOf = new Map<MultimodalDataset, MultimodalData>();
    for (const unit of pending) {
      if (signal?.aborted) return finish(false);
      let data = dataOf.get(unit.dataset);
      if (data === undefined) {
        progress(`pre-edit ${unit.dataset}`);
        data = multimodalData(mm.vlm, unit.dataset, mm.n);
        dataOf.set(unit.dataset, data);
        results.multimodal.pre[unit.dataset] ??= multimodalPre(mm.vlm, unit.dataset, data);
      }
      progress(`${unit.method.method.id} on ${unit.dataset}`);
      const run = await runMultimodalUnit(unit.method, unit.dataset, mm.vlm, data, {
        seed,
        ...(signal === undefined ? {} : { signal }),
        onEdited() {
          done += 1;
          progress(`${unit.method.method.id} on ${unit.dataset}`);
        },
      });
      done += data.records.length - run.records.length;
      results.multimodal.runs.push(run);
      if (run.status === 'failed') progress(`${run.method} on ${unit.dataset} failed: ${run.reason}`);
      options.onCheckpoint?.({ ...results, wallMs: performance.now() - started });
    }
  }
  return finish(!signal?.aborted);
}

/** A method's Table E sequence: prepared as for its other runs, then `runSequence`. */
async function runSequentialUnit(
  entry: BenchMethod,
  sequence: { requests: EditRequest[]; evaluate: PostEditOptions },
  checkpoints: readonly number[],
  options: Pick<
    RunOneOptions,
    'bench' | 'smoke' | 'seed' | 'signal' | 'split' | 'hparamsOverride' | 'traceLayers'
  > & { onEdited(): void },
): Promise<{ run: SequentialRun; edited: number }> {
  const t0 = performance.now();
  const run: SequentialRun = { method: entry.method.id, status: 'done', points: [], wallMs: 0 };
  let edited = 0;
  const end = (status: SequentialRun['status'], reason?: string) => {
    run.status = status;
    if (reason !== undefined) run.reason = reason;
    run.wallMs = performance.now() - t0;
    return { run, edited };
  };
  if (!entry.method.capabilities.sequential) {
    return end('skipped', 'does not edit sequentially (capabilities.sequential is false)');
  }
  const prepared = await prepareMethod(entry, 'zsre', sequence.requests.length, options, run);
  if ('status' in prepared) return end(prepared.status, prepared.reason);
  try {
    const outcome = await runSequence({
      entry,
      model: options.bench.model,
      requests: sequence.requests,
      checkpoints,
      hparams: prepared.hparams,
      context: prepared.context,
      evaluate: sequence.evaluate,
      signal: options.signal,
      onEdited() {
        edited++;
        options.onEdited();
      },
    });
    run.points = outcome.points;
    return end(outcome.status, outcome.reason);
  } finally {
    prepared.release?.();
  }
}

interface RunOneOptions {
  bench: BenchModel;
  smoke: boolean;
  seed: number;
  mode: EditMode;
  signal: AbortSignal | undefined;
  split: BenchSplit;
  /** `--hparams` for this method: replaces its preset. */
  hparamsOverride: Readonly<Record<string, unknown>> | undefined;
  /** `--layers auto`: the run's causal trace (computed on first use). */
  traceLayers: (() => LayerTrace) | undefined;
  evaluate: PostEditOptions;
  onRecord(record: EditRecord): void;
  /** Progress: `count` more records were edited (or given up, so that the total still adds up). */
  onEdited(count: number): void;
  onStart(): void;
}

/**
 * The method's preset for the model; with `--layers auto`, for ROME / R-ROME / MEMIT without one, GPT-2 XL's
 * preset with its edited layers replaced by the traced peak and the layers below it (as many as GPT-2 XL's
 * preset edits) and the loss read at the model's last layer (every EasyEdit preset uses the last layer:
 * 47 of 48 on GPT-2 XL, 27 of 28 on GPT-J, 31 of 32 on LLaMA-2-7B). The chosen layers go into `run`.
 */
function presetValues(
  entry: BenchMethod,
  options: Pick<RunOneOptions, 'bench' | 'smoke' | 'traceLayers'>,
  run: Pick<MethodRun, 'layersAuto'>,
): Readonly<Record<string, unknown>> {
  const { bench, smoke, traceLayers } = options;
  try {
    return entry.hparams?.(bench, { smoke }) ?? {};
  } catch (error) {
    if (
      traceLayers === undefined ||
      !LAYERS_AUTO_METHODS.has(entry.method.id) ||
      !(error instanceof MissingPresetError)
    ) {
      throw error;
    }
    const base = entry.hparams?.({ ...bench, preset: LAYERS_AUTO_BASE_PRESET }, { smoke }) ?? {};
    const count = Array.isArray(base.layers) ? base.layers.length : 1;
    const trace = traceLayers();
    const layers = layersBelow(trace.peak, count);
    run.layersAuto = { ...trace, layers };
    return { ...base, layers, vLossLayer: bench.model.config.numLayers - 1 };
  }
}

/** A method ready to edit: parsed hyperparameters and the edit context holding its one-time artifact. */
export interface PreparedMethod {
  hparams: unknown;
  context: { seed: number; signal?: AbortSignal; artifact?: unknown };
  /** Frees what the artifact holds, once the run of the method ends. */
  release: (() => void) | undefined;
}

/**
 * Parse the method's hyperparameters (its preset, or `--hparams`) into `run.hparams` and run its one-time
 * cost (layer statistics, loading or training an artifact) into `run.prepare`; or say why the run ends.
 */
export async function prepareMethod(
  entry: BenchMethod,
  dataset: BenchDataset,
  /** Records the run edits (with `--split train`, the training records left out of what it trains on). */
  editedTrainingRecords: number,
  options: Pick<
    RunOneOptions,
    'bench' | 'smoke' | 'seed' | 'signal' | 'split' | 'hparamsOverride' | 'traceLayers'
  >,
  run: Pick<MethodRun, 'hparams' | 'prepare' | 'layersAuto'>,
): Promise<PreparedMethod | { status: MethodRun['status']; reason: string }> {
  const { method } = entry;
  const { bench, seed, signal } = options;
  let hparams: unknown;
  try {
    hparams = method.hparams.parse(options.hparamsOverride ?? presetValues(entry, options, run));
  } catch (error) {
    return { status: 'failed', reason: `hyperparameters: ${messageOf(error)}` };
  }
  run.hparams = hparams;

  let artifact: unknown;
  let release: (() => void) | undefined;
  const prepare =
    entry.prepare ??
    (method.capabilities.requiresTraining && method.doPrepare !== undefined
      ? async ({ trainingRequests }: { trainingRequests(): EditRequest[] }): Promise<Prepared> => {
          const training = trainingRequests();
          const value = await method.doPrepare!(
            { seed, ...(signal ? { signal } : {}) },
            bench.model,
            training,
            hparams,
          );
          return { label: `training on ${training.length} ${dataset} requests`, artifact: value };
        }
      : undefined);
  if (prepare !== undefined) {
    const p0 = performance.now();
    try {
      const prepared = await prepare({
        bench,
        dataset,
        hparams,
        // Tuning on the training split: the edited records are not trained on.
        trainingRequests: () =>
          loadSplit(trainingSplit(dataset), 'train').slice(
            options.split === 'train' ? editedTrainingRecords : 0,
          ),
        seed,
        signal,
      });
      if (prepared !== undefined) {
        artifact = prepared.artifact;
        release = prepared.release?.bind(prepared);
        run.prepare = {
          label: prepared.label,
          wallMs: performance.now() - p0,
          cached: prepared.cached ?? false,
        };
      }
    } catch (error) {
      if (signal?.aborted) return { status: 'partial', reason: 'interrupted' };
      return { status: 'failed', reason: `one-time setup: ${messageOf(error)}` };
    }
  }
  const context = { seed, ...(signal ? { signal } : {}), ...(artifact === undefined ? {} : { artifact }) };
  return { hparams, context, release };
}

async function runOne(
  entry: BenchMethod,
  dataset: BenchDataset,
  data: DatasetRecords,
  options: RunOneOptions,
): Promise<MethodRun> {
  const { method } = entry;
  const { bench, mode, signal } = options;
  const requested = data.requests.length;
  const t0 = performance.now();
  const run: MethodRun = {
    method: method.id,
    dataset,
    status: 'done',
    requested,
    edited: 0,
    failed: 0,
    wallMs: 0,
  };
  let counted = 0;
  let release: (() => void) | undefined;
  const tick = (count: number) => {
    counted += count;
    options.onEdited(count);
  };
  const end = (status: MethodRun['status'], reason?: string): MethodRun => {
    run.status = status;
    if (reason !== undefined) run.reason = reason;
    run.wallMs = performance.now() - t0;
    if (counted < requested) tick(requested - counted);
    release?.();
    release = undefined;
    return run;
  };
  options.onStart();

  const capabilities = method.capabilities;
  if (mode === 'batch' && (!capabilities.batch || (capabilities.maxBatchSize ?? Infinity) < requested)) {
    return end('skipped', `does not edit ${requested} requests in one call (capabilities.batch)`);
  }
  if (mode === 'sequential' && !capabilities.sequential) {
    return end('skipped', 'does not edit sequentially (capabilities.sequential is false)');
  }

  const prepared = await prepareMethod(entry, dataset, requested, options, run);
  if ('status' in prepared) return end(prepared.status, prepared.reason);
  release = prepared.release;
  const { hparams, context } = prepared;

  const recordOf = (
    index: number,
    step: EditStep | undefined,
    stepSize: number,
    result: RecordResult | undefined,
    error?: string,
  ): EditRecord => ({
    method: method.id,
    dataset,
    index,
    id: data.requests[index]!.id ?? String(index),
    mode,
    step: step?.step ?? 0,
    editMs: step === undefined ? Number.NaN : step.wallMs / stepSize,
    peakBytes: step?.memory.peakBytes ?? Number.NaN,
    peakExtraBytes: step?.memory.peakExtraBytes ?? Number.NaN,
    metrics: result?.metrics ?? {},
    ...(error === undefined ? {} : { error }),
  });

  if (mode === 'single') {
    let firstError: string | undefined;
    for (let i = 0; i < requested; i++) {
      if (signal?.aborted) return end('partial', 'interrupted');
      let result: EditResult<unknown, CausalLM, RecordResult> | undefined;
      try {
        result = await edit({
          method: method as AnyEditMethod,
          model: bench.model,
          requests: [data.requests[i]!],
          hparams: hparams as Record<string, unknown>,
          mode: 'single',
          context,
          source: `${dataset} record ${i}`,
          evaluate: ({ model }) => evaluateRequests(model, [data.evaluation[i]!], options.evaluate)[0]!,
        });
        const evaluation = result.evaluations[0]!.result;
        options.onRecord(recordOf(i, result.steps[0], 1, evaluation));
        run.edited++;
      } catch (error) {
        if (signal?.aborted) return end('partial', 'interrupted');
        const message = messageOf(error);
        options.onRecord(recordOf(i, undefined, 1, undefined, message));
        firstError ??= message;
        run.failed++;
      } finally {
        result?.revert();
        result?.dispose();
      }
      tick(1);
    }
    // A method that edited nothing did not run: the whole run of it failed, with the (first) reason.
    if (run.edited === 0 && firstError !== undefined) {
      return end('failed', `every edit failed (${run.failed} of ${requested}): ${firstError}`);
    }
    return end('done');
  }

  // batch / sequential: one edit() call, evaluated once at the end over every edited record.
  let result: EditResult<unknown, CausalLM, RecordResult[]> | undefined;
  let editedSoFar = 0;
  try {
    result = await edit({
      method: observingEditCalls(
        method,
        ({ requests }) => {
          editedSoFar += requests;
          tick(requests);
        },
        signal,
      ),
      model: bench.model,
      requests: data.requests,
      hparams: hparams as Record<string, unknown>,
      mode,
      context,
      source: `${dataset} (${mode})`,
      evaluate: ({ model }) => evaluateRequestsParallel(model, data.evaluation, options.evaluate),
    });
    const evaluation = result.evaluations.at(-1)!.result;
    const sizes = new Map(result.steps.map((s) => [s.step, s.requestIndices.length]));
    for (let i = 0; i < requested; i++) {
      const step = stepOf(result, i);
      options.onRecord(recordOf(i, step, sizes.get(step?.step ?? 0) ?? 1, evaluation[i]));
      run.edited++;
    }
    return end('done');
  } catch (error) {
    if (signal?.aborted) return end('partial', `interrupted after ${editedSoFar} edits`);
    return end('failed', messageOf(error));
  } finally {
    result?.revert();
    result?.dispose();
  }
}
