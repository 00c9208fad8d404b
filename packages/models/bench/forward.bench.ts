// Forward and training-step speed of GPT-2-shaped models on tfjs-wasm, stock kernels vs llmedit's fixes,
// each printed beside the plain matmul rate measured in the same run (issue: foundation, item 8).
// Run: pnpm --filter @llmedit/models bench   (about 3 minutes on 2 cores)
import { initBackend, installWasmPolyfillOnly, tf } from '@llmedit/core';
import { type CausalLM, createRandomModel, type Gpt2Config, padBatch } from '../src/index.js';

function best(times: number[]): number {
  return Math.min(...times);
}

function time(reps: number, warmup: number, body: () => void): number {
  for (let i = 0; i < warmup; i++) body();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    body();
    times.push(performance.now() - t0);
  }
  return best(times);
}

function matmulGflops(): number {
  const a = tf.randomNormal([512, 768]);
  const b = tf.randomNormal([768, 3072]);
  const ms = time(10, 2, () => tf.matMul(a, b).dataSync());
  tf.dispose([a, b]);
  return (2 * 512 * 768 * 3072) / (ms * 1e6);
}

/** Matmul FLOPs of one forward over `tokens` tokens of length `length` (projections, attention, LM head). */
function forwardFlops(config: Gpt2Config, tokens: number, length: number): number {
  const d = config.hiddenSize;
  const perLayer = 2 * (4 * d * d + 2 * d * config.intermediateSize) + 2 * 2 * length * d;
  return tokens * (config.numLayers * perLayer + 2 * d * config.vocabSize);
}

function batchOf(config: Gpt2Config, rows: number, length: number) {
  return padBatch(
    Array.from({ length: rows }, (_, b) =>
      Array.from({ length }, (_, t) => (b * 7919 + t * 104729) % config.vocabSize),
    ),
    0,
  );
}

function lossOf(model: CausalLM, batch: ReturnType<typeof batchOf>) {
  const { logits } = model.forward(batch, { logits: 'all' });
  const labels = tf.oneHot(
    tf.tensor1d(
      batch.ids.flatMap((row) => [...row.slice(1), 0]),
      'int32',
    ),
    model.config.vocabSize,
  );
  return tf.losses.softmaxCrossEntropy(
    labels,
    tf.reshape(logits!, [-1, model.config.vocabSize]),
  ) as tf.Scalar;
}

const shapes: {
  name: string;
  config: Gpt2Config;
  forwardReps: [number, number];
  trainRows: number;
  trainReps: [number, number];
}[] = [
  {
    name: 'tiny (L4 d256 V4096)',
    config: {
      architecture: 'gpt2',
      vocabSize: 4096,
      maxPositions: 64,
      hiddenSize: 256,
      numLayers: 4,
      numHeads: 4,
      intermediateSize: 1024,
      layerNormEpsilon: 1e-5,
    },
    forwardReps: [5, 10],
    trainRows: 16,
    trainReps: [2, 5],
  },
  {
    name: 'gpt2-small shape (L12 d768 V50257)',
    config: {
      architecture: 'gpt2',
      vocabSize: 50257,
      maxPositions: 64,
      hiddenSize: 768,
      numLayers: 12,
      numHeads: 12,
      intermediateSize: 3072,
      layerNormEpsilon: 1e-5,
    },
    forwardReps: [1, 3],
    trainRows: 4,
    trainReps: [0, 2],
  },
];

const rows: string[] = [];
for (const fixes of [false, true]) {
  await initBackend({ prefer: ['wasm'], kernelFixes: fixes });
  // Stock tfjs-wasm lacks UnsortedSegmentSum, so no training step runs at all without it; the stock rows
  // add only that kernel (as perf.md measured them).
  if (!fixes) installWasmPolyfillOnly();
  const label = fixes ? 'wasm + fixes' : 'wasm stock';
  for (const shape of shapes) {
    // Measured right before each workload: on a shared machine the rate drifts with other tenants' load.
    const gflops = matmulGflops();
    rows.push(`| ${label} | matmul [512,768]x[768,3072] | | ${gflops.toFixed(1)} GFLOP/s | |`);
    const model = createRandomModel(shape.config, { seed: 1 });
    const batch = batchOf(shape.config, 16, 32);
    const reps = fixes ? shape.forwardReps[1] : shape.forwardReps[0];
    const forwardMs = time(reps, 1, () => {
      const { logits } = model.forward(batch, { logits: 'all' });
      logits!.dataSync();
      logits!.dispose();
    });
    const rate = forwardFlops(shape.config, 16 * 32, 32) / (forwardMs * 1e6);
    rows.push(
      `| ${label} | ${shape.name} forward 16x32 | ${forwardMs.toFixed(0)} ms (${((16 * 32) / (forwardMs / 1000)).toFixed(0)} tok/s) | ${rate.toFixed(1)} GFLOP/s | ${(rate / gflops).toFixed(2)} of matmul |`,
    );
    const trainReps = fixes ? shape.trainReps[1] : shape.trainReps[0];
    if (trainReps > 0) {
      const trainBatch = batchOf(shape.config, shape.trainRows, 32);
      const variables = model.weightNames().map((n) => model.weight(n));
      const stepMs = time(trainReps, 1, () => {
        const { value, grads } = tf.variableGrads(() => lossOf(model, trainBatch), variables);
        value.dataSync();
        tf.dispose([value, ...Object.values(grads)]);
      });
      rows.push(`| ${label} | ${shape.name} fwd+bwd ${shape.trainRows}x32 | ${stepMs.toFixed(0)} ms | | |`);
    } else {
      rows.push(
        `| ${label} | ${shape.name} fwd+bwd ${shape.trainRows}x32 | skipped (stock: about a minute per step) | | |`,
      );
    }
    model.dispose();
  }
}
console.log('| kernels | workload | time | rate | ratio |\n|---|---|---|---|---|');
console.log(rows.join('\n'));
