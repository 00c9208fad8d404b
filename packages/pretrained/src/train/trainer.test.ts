import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, LlmeditError, tf, type Variable } from '@llmedit/core';
import { createRandomModel, type Gpt2Config, padBatch } from '@llmedit/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained } from '../checkpoints.js';
import { AdamW, warmupCosine } from './adamw.js';
import { DataParallelGradients } from './data-parallel.js';
import {
  languageModelLoss,
  languageModelShardLoss,
  languageModelShardLossModule,
  predictedTokens,
} from './lm-loss.js';
import { trainLanguageModel } from './trainer.js';

beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
});
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const config: Gpt2Config = {
  architecture: 'gpt2',
  vocabSize: 17,
  maxPositions: 16,
  hiddenSize: 16,
  numLayers: 1,
  numHeads: 2,
  intermediateSize: 32,
  layerNormEpsilon: 1e-5,
};
const documents = [
  [1, 2, 3, 4, 5, 0],
  [6, 7, 8, 0],
  [9, 10, 11, 12, 0],
  [13, 14, 15, 16, 1, 2, 0],
  [3, 5, 7, 9, 0],
];

describe('warmupCosine', () => {
  it('warms up linearly, peaks, and decays to the floor', () => {
    expect(warmupCosine(0, 100, 10, 1)).toBeCloseTo(0.1);
    expect(warmupCosine(9, 100, 10, 1)).toBeCloseTo(1);
    expect(warmupCosine(10, 100, 10, 1)).toBeCloseTo(1);
    expect(warmupCosine(55, 100, 10, 1)).toBeCloseTo(0.55);
    expect(warmupCosine(100, 100, 10, 1)).toBeCloseTo(0.1);
  });
});

describe('AdamW', () => {
  it('matches a hand-computed first and second step, with decoupled decay only where asked', () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]), true);
    const b = tf.variable(tf.tensor1d([0.5]), true);
    const optimizer = new AdamW(
      { beta1: 0.9, beta2: 0.99, epsilon: 0, weightDecay: 0.1, clipNorm: 0 },
      (name) => name === 'w',
    );
    const weights = new Map<string, Variable>([
      ['w', w],
      ['b', b],
    ]);
    const g1 = { w: tf.tensor2d([[0.5, -1]]), b: tf.tensor1d([2]) };
    optimizer.apply(weights, g1, 0.01);
    // Step 1: m_hat = g, v_hat = g^2, update = sign(g); w = w(1 - lr*wd) - lr*sign(g).
    expect(Array.from(w.dataSync())).toEqual(
      [1 * (1 - 0.001) - 0.01, -2 * (1 - 0.001) + 0.01].map(Math.fround),
    );
    expect(b.dataSync()[0]).toBeCloseTo(0.5 - 0.01, 6);
    const g2 = { w: tf.tensor2d([[1, 1]]), b: tf.tensor1d([0]) };
    optimizer.apply(weights, g2, 0.01);
    const m = 0.9 * 0.5 * 0.1 + 0.1 * 1; // m2 for w[0] before correction
    const v = 0.99 * 0.01 * 0.25 + 0.01 * 1;
    const update = m / (1 - 0.81) / Math.sqrt(v / (1 - 0.9801));
    expect(w.dataSync()[0]).toBeCloseTo((1 * 0.999 - 0.01) * 0.999 - 0.01 * update, 6);
    tf.dispose([w, b, g1.w, g1.b, g2.w, g2.b]);
    optimizer.dispose();
  });
});

describe('languageModelLoss', () => {
  it('equals the mean next-token negative log-likelihood over real tokens, whatever the padding', () => {
    const model = createRandomModel(config, { seed: 3 });
    const batch = padBatch(documents.slice(0, 3), 0, 'right');
    const loss = languageModelLoss(model, batch);
    const { logits } = model.forward(batch, { logits: 'all' });
    const logProbs = tf.tidy(() => tf.logSoftmax(logits!)).arraySync() as number[][][];
    let total = 0;
    documents.slice(0, 3).forEach((doc, b) => {
      for (let t = 0; t + 1 < doc.length; t++) total -= logProbs[b]![t]![doc[t + 1]!]!;
    });
    expect(predictedTokens(batch)).toBe(5 + 3 + 4);
    expect(loss.dataSync()[0]).toBeCloseTo(total / 12, 4);
    const left = languageModelLoss(model, padBatch(documents.slice(0, 3), 0, 'left'));
    expect(left.dataSync()[0]).toBeCloseTo(loss.dataSync()[0]!, 5);
    tf.dispose([loss, left, logits!]);
    model.dispose();
  });
});

describe('trainLanguageModel', () => {
  const options = {
    epochs: 6,
    batchTokens: 16,
    learningRate: 1e-2,
    warmupFraction: 0.1,
    weightDecay: 0.01,
    seed: 5,
    log: () => {},
  };

  it('lowers the loss, leaks no tensors, and is deterministic for a seed', async () => {
    const before = tf.memory().numTensors;
    const a = createRandomModel(config, { seed: 1 });
    const b = createRandomModel(config, { seed: 1 });
    const batch = padBatch(documents, 0);
    const initial = languageModelLoss(a, batch);
    const initialLoss = initial.dataSync()[0]!;
    initial.dispose();
    await trainLanguageModel(a, documents, options);
    await trainLanguageModel(b, documents, options);
    const final = languageModelLoss(a, batch);
    expect(final.dataSync()[0]!).toBeLessThan(initialLoss - 0.3);
    final.dispose();
    for (const name of a.weightNames())
      expect(Array.from(a.weight(name).dataSync())).toEqual(Array.from(b.weight(name).dataSync()));
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resumed training ends exactly where uninterrupted training ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmedit-train-'));
    dirs.push(dir);
    const straight = createRandomModel(config, { seed: 2 });
    await trainLanguageModel(straight, documents, options);
    // Interrupt after the first checkpoint: train 3 epochs' worth by stopping via a thrown error.
    const interrupted = createRandomModel(config, { seed: 2 });
    const stop = new Error('stop');
    await expect(
      trainLanguageModel(interrupted, documents, {
        ...options,
        stateDir: dir,
        checkpointEvery: 4,
        evalEvery: 4,
        onEval: () => {
          throw stop;
        },
      }),
    ).rejects.toThrow(stop);
    interrupted.dispose();
    const resumed = createRandomModel(config, { seed: 99 });
    const report = await trainLanguageModel(resumed, documents, {
      ...options,
      stateDir: dir,
      checkpointEvery: 4,
    });
    expect(report.resumedFromStep).toBe(4);
    for (const name of straight.weightNames()) {
      expect(Array.from(resumed.weight(name).dataSync())).toEqual(
        Array.from(straight.weight(name).dataSync()),
      );
    }
    straight.dispose();
    resumed.dispose();
  });

  it('on two threads follows the single-thread run of the micro model up to float summation order', async () => {
    const before = tf.memory().numTensors;
    const single = loadPretrained('micro');
    const parallel = loadPretrained('micro');
    const tokenizer = single.requireTokenizer();
    const eos = single.config.eosTokenId!;
    const sentences = [
      'Danielle Darrieux speaks French',
      'The Eiffel Tower is located in Paris',
      'Toko Yasuda plays the guitar',
      'The capital of Italy is Rome',
      'Apple A5 was created by Apple',
      'Autonomous University of Madrid is located in Spain',
      'The mother tongue of Go Hyeon-jeong is Korean',
      'Thomas Joannes Stieltjes was born in Zwolle',
    ];
    const docs = sentences.flatMap((text, i) => [
      [...tokenizer.encode(text), eos],
      [...tokenizer.encode(`${text}.`), eos].slice(0, 6 + i),
    ]);
    const microOptions = { ...options, epochs: 3, batchTokens: 96, learningRate: 3e-3 };
    const one = await trainLanguageModel(single, docs, microOptions);
    const two = await trainLanguageModel(parallel, docs, { ...microOptions, threads: 2 });
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.steps).toBe(one.steps);
    expect(two.tokensSeen).toBe(one.tokensSeen);
    // Shards are padded to their own lengths and their gradients summed in another order: the runs agree
    // to float rounding, compounded over the run's AdamW steps, and are not bit-identical (the worker's
    // shard really counted). Stated tolerances: 1e-3 on the loss; one step size (the learning rate) on every
    // weight, since AdamW's normalised update can differ by up to that where a gradient is near zero.
    expect(Math.abs(two.finalLoss - one.finalLoss)).toBeLessThan(1e-3);
    let maxDiff = 0;
    for (const name of single.weightNames()) {
      const a = single.weight(name).dataSync();
      const b = parallel.weight(name).dataSync();
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    }
    expect(maxDiff).toBeLessThan(microOptions.learningRate);
    expect(maxDiff).toBeGreaterThan(0);
    single.dispose();
    parallel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a worker that fails is reported as a typed error and leaves no worker running', async () => {
    const model = createRandomModel(config, { seed: 4 });
    const bad = await DataParallelGradients.start(model, {
      threads: 2,
      loss: languageModelShardLoss,
      lossModule: { url: languageModelShardLossModule.url, name: 'noSuchLoss' },
    }).catch((e: unknown) => e);
    expect(LlmeditError.isInstance(bad) && bad.code).toBe('WORKER_FAILED');
    expect((bad as Error).message).toMatch(/noSuchLoss/);
    model.dispose();
  });
});
