/**
 * Data-parallel gradients on worker threads: each worker holds a replica of the model and computes the
 * gradient of its shard of a step's batch; this thread computes one shard too and averages them, weighted by
 * each shard's item count, so the result is the whole batch's mean-loss gradient up to float summation order.
 *
 * Weights reach the workers through one SharedArrayBuffer (written after each optimizer step, read at the
 * start of each worker's step) and gradients come back through one buffer per worker: no per-step copies
 * through the message channel. Any trainer can use it: the loss is named by a module URL and export, which
 * the workers import (the same function runs in this thread).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  currentBackend,
  InvalidRequestError,
  LlmeditError,
  loadNativeBlas,
  type PostedError,
  readFloat32InPlace,
  type Scalar,
  type Tensor,
  tf,
  type Variable,
  workerEntry,
} from '@llmedit/core';
import type { CausalLM, ModelConfig } from '@llmedit/models';

/** Items split into at most `n` contiguous, non-empty shards of (nearly) equal size: one per thread. */
export function contiguousShards<T>(items: readonly T[], n: number): T[][] {
  const shards: T[][] = [];
  for (let s = 0; s < n; s++) {
    const part = items.slice(Math.round((s * items.length) / n), Math.round(((s + 1) * items.length) / n));
    if (part.length > 0) shards.push(part);
  }
  return shards;
}

/** A shard's loss: the mean over `count` items (tokens, examples), so shards combine by their counts. */
export type ShardLoss<S> = (model: CausalLM, shard: S) => { loss: Scalar; count: number };

/** Where the workers find the same loss function: an importable module URL and its export name. */
export interface ShardLossModule {
  readonly url: string;
  readonly name: string;
}

/** @internal Messages to a gradient worker. */
export type GradientWorkerMessage =
  | {
      type: 'init';
      backend: string;
      config: ModelConfig;
      names: string[];
      shapes: number[][];
      weights: SharedArrayBuffer;
      gradients: SharedArrayBuffer;
      loss: ShardLossModule;
    }
  | { type: 'step'; shard: unknown };

/** @internal A gradient worker's answers. */
export type GradientWorkerReply =
  | { ok: true; loss: number; count: number }
  | { ok: false; error: PostedError };

export interface ShardedGradients {
  /** The batch's mean loss (count-weighted over shards). */
  loss: number;
  /** Items in the batch (sum of the shards' counts). */
  count: number;
  /** Mean-loss gradient per weight name; the caller disposes them. */
  gradients: Record<string, Tensor>;
}

function workerError(message: string, cause?: unknown): LlmeditError {
  return new LlmeditError(
    'WORKER_FAILED',
    `gradient worker: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

/** Offsets of each weight in one flat float32 buffer. */
function layout(shapes: readonly number[][]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const shape of shapes) {
    offsets.push(total);
    total += tf.util.sizeFromShape(shape);
  }
  return { offsets, total };
}

/** Loss and gradients of one shard for the given variables (shared by this thread and the workers). */
export function shardGradients<S>(
  model: CausalLM,
  variables: readonly Variable[],
  loss: ShardLoss<S>,
  shard: S,
): { loss: number; count: number; grads: Tensor[] } {
  let count = 0;
  const { value, grads } = tf.variableGrads(() => {
    const out = loss(model, shard);
    count = out.count;
    return out.loss;
  }, variables as Variable[]);
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  return { loss: lossValue, count, grads: variables.map((v) => grads[v.name]!) };
}

class GradientWorker {
  private pending:
    | { resolve: (r: { loss: number; count: number }) => void; reject: (e: Error) => void }
    | undefined;
  private failure: Error | undefined;

  constructor(readonly worker: Worker) {
    worker.on('message', (reply: GradientWorkerReply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.ok) pending?.resolve({ loss: reply.loss, count: reply.count });
      else
        pending?.reject(
          new LlmeditError(reply.error.code ?? 'WORKER_FAILED', `gradient worker: ${reply.error.message}`),
        );
    });
    const fail = (error: Error) => {
      this.failure = error;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    worker.on('error', (error) => fail(workerError(error.message, error)));
    worker.on('exit', (code) => fail(workerError(`exited with code ${code}`)));
  }

  /** Sends a message and waits for its one reply. */
  request(message: GradientWorkerMessage): Promise<{ loss: number; count: number }> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
  }
}

/**
 * A pool of `threads - 1` gradient workers plus this thread. `gradients(shards)` takes one shard per thread
 * (fewer is fine); call `close()` when done.
 */
export class DataParallelGradients<S> {
  private readonly variables: Variable[];
  private readonly names: string[];
  private readonly offsets: number[];
  private readonly total: number;
  private readonly sharedWeights: Float32Array;

  private constructor(
    private readonly model: CausalLM,
    private readonly loss: ShardLoss<S>,
    private readonly workers: GradientWorker[],
    private readonly workerGradients: Float32Array[],
    sharedWeights: SharedArrayBuffer,
    private readonly restoreBlas: () => Promise<void>,
  ) {
    this.names = [...model.weightNames()];
    this.variables = this.names.map((n) => model.weight(n));
    const { offsets, total } = layout(this.variables.map((v) => v.shape));
    this.offsets = offsets;
    this.total = total;
    this.sharedWeights = new Float32Array(sharedWeights);
  }

  /** Starts the workers (each builds its backend and replica); `threads` counts this thread. */
  static async start<S>(
    model: CausalLM,
    options: { threads: number; loss: ShardLoss<S>; lossModule: ShardLossModule },
  ): Promise<DataParallelGradients<S>> {
    const { threads } = options;
    if (!Number.isInteger(threads) || threads < 1)
      throw new InvalidRequestError('train', 'threads', 'must be a positive integer');
    const names = [...model.weightNames()];
    const shapes = names.map((n) => [...model.weight(n).shape]);
    const { total } = layout(shapes);
    const weights = new SharedArrayBuffer(total * 4);
    const info = currentBackend();
    const backend = info?.name ?? 'wasm';
    // Every thread runs its own products: one BLAS thread each keeps the cores from being oversubscribed
    // (OpenMP builds keep the count per calling thread, so each worker sets it too).
    if (threads > 1 && backend === 'native') (await loadNativeBlas()).setThreads(1);
    const restoreBlas = async () => {
      if (threads > 1 && backend === 'native')
        (await loadNativeBlas()).setThreads(info?.blas?.threads ?? availableParallelism());
    };
    const workers: GradientWorker[] = [];
    const buffers: Float32Array[] = [];
    try {
      for (let i = 1; i < threads; i++) {
        const gradients = new SharedArrayBuffer(total * 4);
        const { entry, options: workerOptions } = workerEntry(import.meta.url, 'gradient-worker');
        const worker = new GradientWorker(new Worker(entry, workerOptions));
        workers.push(worker);
        buffers.push(new Float32Array(gradients));
        await worker.request({
          type: 'init',
          backend,
          config: model.config,
          names,
          shapes,
          weights,
          gradients,
          loss: options.lossModule,
        });
      }
    } catch (error) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      await restoreBlas();
      throw error;
    }
    return new DataParallelGradients(model, options.loss, workers, buffers, weights, restoreBlas);
  }

  /** Threads that take a shard, this one included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Mean-loss gradients of the whole batch given as shards (shard 0 runs here, the rest on workers). */
  async gradients(shards: readonly S[]): Promise<ShardedGradients> {
    if (shards.length === 0 || shards.length > this.threads)
      throw new InvalidRequestError(
        'train',
        'shards',
        `must be 1 to ${this.threads} shards, got ${shards.length}`,
      );
    const remote = shards.slice(1);
    if (remote.length > 0) this.publishWeights();
    // Workers start first so that their work overlaps this thread's shard.
    const replies = Promise.allSettled(
      remote.map((shard, i) => this.workers[i]!.request({ type: 'step', shard })),
    );
    const own = shardGradients(this.model, this.variables, this.loss, shards[0]!);
    const settled = await replies;
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      tf.dispose(own.grads);
      throw (failed as PromiseRejectedResult).reason;
    }
    const parts = [
      { loss: own.loss, count: own.count },
      ...settled.map((r) => (r as PromiseFulfilledResult<{ loss: number; count: number }>).value),
    ];
    const count = parts.reduce((s, p) => s + p.count, 0);
    const loss = count === 0 ? 0 : parts.reduce((s, p) => s + p.loss * p.count, 0) / count;
    const gradients: Record<string, Tensor> = {};
    this.names.forEach((name, w) => {
      const shape = this.variables[w]!.shape;
      const offset = this.offsets[w]!;
      const size = tf.util.sizeFromShape(shape);
      gradients[name] = tf.tidy(() => {
        let sum = tf.mul(own.grads[w]!, count === 0 ? 0 : own.count / count);
        parts.slice(1).forEach((part, i) => {
          if (part.count === 0) return;
          // slice(): a copy, since a backend may keep the array it was given and the buffer is reused.
          const data = this.workerGradients[i]!.slice(offset, offset + size);
          sum = tf.add(sum, tf.mul(tf.tensor(data, shape), part.count / count));
        });
        return sum;
      });
    });
    tf.dispose(own.grads);
    return { loss, count, gradients };
  }

  private publishWeights(): void {
    this.variables.forEach((v, w) => {
      // Read in place: one copy (backend memory -> shared buffer) instead of two.
      this.sharedWeights.set(readFloat32InPlace(v), this.offsets[w]!);
    });
  }

  /** Stops the workers and gives this thread its BLAS threads back. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    await this.restoreBlas();
  }

  /** Floats per gradient buffer (the model's parameter count). */
  get parameters(): number {
    return this.total;
  }
}
