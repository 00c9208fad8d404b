import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  currentBackend,
  InvalidRequestError,
  LlmeditError,
  type PostedError,
  workerEntry,
} from '@llmedit/core';
import { CausalLM, type HostTensor, type ModelConfig } from '@llmedit/models';
import {
  type EvaluateOptions,
  type EvaluationRequest,
  finishPreEdit,
  type Mode,
  type PostEditOptions,
  type PreEditOptions,
  planPreEdit,
  preEditReferences,
  runSuites,
  type SuiteOutput,
  settingsOf,
} from './evaluate.js';
import type { PreEditRecord } from './pre-edit-cache.js';
import type { RecordResult } from './protocol.js';

export interface ParallelOptions {
  /**
   * Shards evaluated at once: this thread takes one and each other one gets a worker thread with its own
   * backend and a copy of the weights (memory x shards). Default: min(2, available cores).
   */
  threads?: number;
}

/** @internal What a shard worker receives. */
export interface ShardTask {
  backend: string;
  config: ModelConfig;
  tokenizer: object | undefined;
  weights: [string, HostTensor][];
  requests: EvaluationRequest[];
  options: EvaluateOptions;
  mode: Mode;
}

/** @internal What a shard worker answers. */
export type ShardReply = { ok: true; output: SuiteOutput } | { ok: false; error: PostedError };

/** The options a worker needs (plain data: caches and pre arrays stay in this thread). */
function portableOptions(options: EvaluateOptions): EvaluateOptions {
  const out: EvaluateOptions = {};
  for (const key of [
    'suites',
    'fluency',
    'generationEntropy',
    'seed',
    'neighborhoodKey',
    'maxBatchTokens',
    'padding',
    'prependBos',
  ] as const) {
    if (options[key] !== undefined) (out as Record<string, unknown>)[key] = options[key];
  }
  return out;
}

/** Rough cost of a request (prompt characters times answers, plus generations), to balance the shards. */
function cost(request: EvaluationRequest, options: EvaluateOptions): number {
  let chars = request.prompt.length * 2;
  for (const p of request.rephrasePrompts ?? []) chars += p.length * 2;
  for (const probes of [
    ...Object.values(request.locality ?? {}),
    ...Object.values(request.portability ?? {}),
  ]) {
    for (const probe of probes) chars += probe.prompt.length * 2;
  }
  // A 100-token generation costs about as much as scoring 1500 prompt characters here.
  if (options.fluency) chars += 1500;
  if (options.generationEntropy) chars += 1500 * (request.generationPrompts?.length ?? 0);
  return chars;
}

/** Longest-processing-time-first assignment of request indices to `n` shards. */
function shardIndices(
  requests: readonly EvaluationRequest[],
  options: EvaluateOptions,
  n: number,
): number[][] {
  const order = requests.map((r, i) => ({ i, c: cost(r, options) })).sort((a, b) => b.c - a.c || a.i - b.i);
  const shards = Array.from({ length: n }, () => ({ load: 0, items: [] as number[] }));
  for (const { i, c } of order) {
    const lightest = shards.reduce((best, s) => (s.load < best.load ? s : best));
    lightest.load += c;
    lightest.items.push(i);
  }
  return shards.map((s) => s.items.sort((a, b) => a - b));
}

function runInWorker(task: ShardTask): Promise<SuiteOutput> {
  const { entry, options } = workerEntry(import.meta.url, 'shard-worker');
  const worker = new Worker(entry, options);
  return new Promise<SuiteOutput>((resolve, reject) => {
    worker.once('message', (reply: ShardReply) => {
      if (reply.ok) resolve(reply.output);
      else
        reject(
          new LlmeditError(reply.error.code ?? 'WORKER_FAILED', `evaluation worker: ${reply.error.message}`),
        );
    });
    worker.once('error', (error) =>
      reject(new LlmeditError('WORKER_FAILED', `evaluation worker: ${error.message}`, { cause: error })),
    );
    worker.once('exit', (code) => {
      if (code !== 0) reject(new LlmeditError('WORKER_FAILED', `evaluation worker exited with code ${code}`));
    });
    worker.postMessage(task);
  }).finally(() => worker.terminate());
}

/** Run the suites over shards of `requests` (this thread plus workers) and merge the outputs in order. */
async function runSharded(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: EvaluateOptions & ParallelOptions,
  mode: Mode,
): Promise<SuiteOutput> {
  const threads = options.threads ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(threads) || threads < 1)
    throw new InvalidRequestError('evaluate', 'threads', 'must be a positive integer');
  const settings = settingsOf(options);
  const shards = shardIndices(requests, options, Math.min(threads, requests.length)).filter(
    (s) => s.length > 0,
  );
  const modeFor = (indices: number[]): Mode =>
    mode.kind === 'pre' ? mode : { kind: 'post', preArgmax: indices.map((i) => mode.preArgmax[i]) };
  // Workers rebuild the model from its weights, so a view whose forward differs from its weights' (an IKE
  // context, a SERAC router) would be evaluated as its base model there: such views run in this thread.
  if (shards.length <= 1 || !rebuildableFromWeights(model))
    return runSuites(model, requests, options, settings, mode);

  const weights = [...(await model.weightsToHost()).entries()];
  const base = {
    backend: currentBackend()?.name ?? 'wasm',
    config: model.config,
    tokenizer: model.tokenizer?.toJSON(),
    weights,
    options: portableOptions(options),
  };
  const [own, ...others] = shards as [number[], ...number[][]];
  // Workers start first so that their start-up overlaps this thread's shard.
  const pending = others.map((indices) =>
    runInWorker({ ...base, requests: indices.map((i) => requests[i]!), mode: modeFor(indices) }),
  );
  // A failure here must not leave the workers' rejections unobserved.
  const settled = Promise.allSettled(pending);
  const ownOutput = runSuites(
    model,
    own.map((i) => requests[i]!),
    options,
    settings,
    modeFor(own),
  );
  const outputs = [ownOutput];
  for (const result of await settled) {
    if (result.status === 'rejected') throw result.reason;
    outputs.push(result.value);
  }
  const merged: SuiteOutput = {
    results: new Array(requests.length),
    localityArgmax: new Array(requests.length),
  };
  shards.forEach((indices, s) => {
    indices.forEach((i, k) => {
      merged.results[i] = outputs[s]!.results[k]!;
      merged.localityArgmax[i] = outputs[s]!.localityArgmax[k]!;
    });
  });
  return merged;
}

/** Whether a worker that loads `model`'s config, tokenizer and weights gets a model with the same outputs. */
function rebuildableFromWeights(model: CausalLM): boolean {
  return model.forward === CausalLM.prototype.forward;
}

function withIds(requests: readonly EvaluationRequest[]): EvaluationRequest[] {
  // Shards see sub-lists, so default ids (list positions) are fixed here.
  return requests.map((r, i) => ({ ...r, id: r.id ?? String(i) }));
}

/**
 * `computePreEdit` on several cores: the missing records are split into balanced shards evaluated at once,
 * one in this thread and the others in worker threads. Same values as `computePreEdit`.
 */
export async function computePreEditParallel(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: PreEditOptions & ParallelOptions = {},
): Promise<PreEditRecord[]> {
  const plan = planPreEdit(model, requests, options);
  const computed =
    plan.missing.length === 0
      ? { results: [], localityArgmax: [] }
      : await runSharded(model, plan.missingRequests, options, { kind: 'pre' });
  return finishPreEdit(model, requests, options, plan, computed);
}

/** `evaluateRequests` on several cores (see `computePreEditParallel`). Same values as `evaluateRequests`. */
export async function evaluateRequestsParallel(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: PostEditOptions & ParallelOptions = {},
): Promise<RecordResult[]> {
  const preArgmax = preEditReferences(model, requests, options);
  return (await runSharded(model, withIds(requests), options, { kind: 'post', preArgmax })).results;
}
