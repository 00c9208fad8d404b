// Worker-thread entry of DataParallelGradients: a model replica on its own backend; each step reads the
// shared weights, computes its shard's loss and gradients, writes them to its shared buffer and answers.
import { parentPort } from 'node:worker_threads';
import {
  type BackendName,
  initBackend,
  loadNativeBlas,
  postedError,
  readFloat32InPlace,
  tf,
  type Variable,
} from '@llmedit/core';
import { type CausalLM, createModel, type HostTensor } from '@llmedit/models';
import {
  type GradientWorkerMessage,
  type GradientWorkerReply,
  type ShardLoss,
  shardGradients,
} from './data-parallel.js';

const port = parentPort;
if (port === null) throw new Error('gradient-worker must run in a worker thread');

interface Replica {
  model: CausalLM;
  variables: Variable[];
  names: string[];
  shapes: number[][];
  offsets: number[];
  weights: Float32Array;
  gradients: Float32Array;
  loss: ShardLoss<unknown>;
}

let replica: Replica | undefined;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function init(message: Extract<GradientWorkerMessage, { type: 'init' }>): Promise<Replica> {
  await initBackend({ prefer: [message.backend as BackendName] });
  // Each thread runs its own products: one BLAS thread each keeps the cores from being oversubscribed.
  if (message.backend === 'native') (await loadNativeBlas()).setThreads(1);
  const module = (await import(message.loss.url)) as Record<string, unknown>;
  const loss = module[message.loss.name];
  if (typeof loss !== 'function')
    throw new Error(`${message.loss.url} exports no function ${message.loss.name}`);
  const weights = new Float32Array(message.weights);
  const offsets: number[] = [];
  let offset = 0;
  const host = new Map<string, HostTensor>();
  message.names.forEach((name, i) => {
    const shape = message.shapes[i]!;
    offsets.push(offset);
    host.set(name, { shape, data: weights.slice(offset, offset + sizeOf(shape)) });
    offset += sizeOf(shape);
  });
  const model = createModel(message.config, host);
  return {
    model,
    variables: message.names.map((n) => model.weight(n)),
    names: message.names,
    shapes: message.shapes,
    offsets,
    weights,
    gradients: new Float32Array(message.gradients),
    loss: loss as ShardLoss<unknown>,
  };
}

function step(r: Replica, shard: unknown): { loss: number; count: number } {
  r.names.forEach((name, i) => {
    const offset = r.offsets[i]!;
    const value = tf.tensor(r.weights.slice(offset, offset + sizeOf(r.shapes[i]!)), r.shapes[i]!);
    r.model.setWeight(name, value);
    value.dispose();
  });
  const out = shardGradients(r.model, r.variables, r.loss, shard);
  out.grads.forEach((g, i) => {
    // Read in place: one copy (backend memory -> shared buffer) instead of two.
    r.gradients.set(readFloat32InPlace(g), r.offsets[i]!);
  });
  tf.dispose(out.grads);
  return { loss: out.loss, count: out.count };
}

port.on('message', async (message: GradientWorkerMessage) => {
  let reply: GradientWorkerReply;
  try {
    if (message.type === 'init') {
      replica = await init(message);
      reply = { ok: true, loss: 0, count: 0 };
    } else {
      if (replica === undefined) throw new Error('step before init');
      reply = { ok: true, ...step(replica, message.shard) };
    }
  } catch (error) {
    reply = { ok: false, error: postedError(error) };
  }
  port.postMessage(reply);
});
