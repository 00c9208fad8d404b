import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, tf, type Variable } from '@llmedit/core';
import { type CausalLM, chunkByTokens, readSafetensors, writeSafetensors } from '@llmedit/models';
import { AdamW, warmupCosine } from './adamw.js';
import { contiguousShards, DataParallelGradients } from './data-parallel.js';
import { languageModelShardLoss, languageModelShardLossModule } from './lm-loss.js';
import { ProgressBar } from './progress.js';

export interface TrainOptions {
  epochs: number;
  /** Padded tokens per optimizer step. */
  batchTokens: number;
  learningRate: number;
  /** Fraction of all steps spent warming up. */
  warmupFraction: number;
  weightDecay: number;
  seed: number;
  /**
   * Threads that compute gradients (this one plus worker threads, each with a model replica and a shard of
   * every batch); default 1. The updates equal the single-thread run's up to float summation order.
   */
  threads?: number;
  /** Stop after this many steps (the schedule still spans all epochs), e.g. for a short sweep. */
  maxSteps?: number;
  /**
   * Stop (with the state saved) once this run has trained this long; a later run resumes from `stateDir`.
   * For trainings longer than one sitting.
   */
  maxSeconds?: number;
  /** Save a resumable state here every `checkpointEvery` steps and at the end (optional). */
  stateDir?: string;
  checkpointEvery?: number;
  /** Called every `evalEvery` steps (and at the end) with the step; may log probe accuracies. */
  evalEvery?: number;
  onEval?: (step: number) => void;
  log?: (line: string) => void;
}

export interface TrainReport {
  steps: number;
  epochs: number;
  tokensSeen: number;
  seconds: number;
  tokensPerSecond: number;
  finalLoss: number;
  lossCurve: { step: number; loss: number }[];
  resumedFromStep: number;
  /** Threads that computed gradients. */
  threads: number;
  /** Whether every step of the schedule ran (false after `maxSteps` or `maxSeconds` stopped it early). */
  complete: boolean;
}

/** Token-id documents (each its own sequence starting at position 0, EOS appended by the caller). */
export type TokenDocuments = readonly (readonly number[])[];

/** Fixed batches of similar-length documents; the order of batches is reshuffled every epoch. */
function makeBatches(documents: TokenDocuments, batchTokens: number): number[][] {
  return chunkByTokens(
    documents.map((d) => d.length),
    batchTokens,
  );
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = createRng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface SavedState {
  step: number;
  tokensSeen: number;
  seconds: number;
  lossCurve: { step: number; loss: number }[];
}

/**
 * Train a causal LM on token documents with AdamW, linear warmup + cosine decay and gradient clipping.
 * Deterministic for a seed and thread count (batch order and all updates); resumable from `stateDir`.
 */
export async function trainLanguageModel(
  model: CausalLM,
  documents: TokenDocuments,
  options: TrainOptions,
): Promise<TrainReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const batches = makeBatches(documents, options.batchTokens);
  const totalSteps = batches.length * options.epochs;
  const warmup = Math.max(1, Math.round(totalSteps * options.warmupFraction));
  const names = model.weightNames();
  const weights = new Map<string, Variable>(names.map((n) => [n, model.weight(n)]));
  const optimizer = new AdamW(
    { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: options.weightDecay, clipNorm: 1 },
    (name) => name.endsWith('.weight') && model.weight(name).rank === 2 && !name.includes('wpe'),
  );

  let state: SavedState = { step: 0, tokensSeen: 0, seconds: 0, lossCurve: [] };
  const statePath = options.stateDir === undefined ? undefined : join(options.stateDir, 'train-state.json');
  if (statePath !== undefined && existsSync(statePath)) {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as SavedState;
    const saved = readSafetensors(join(options.stateDir!, 'train-state.safetensors'));
    for (const name of names) {
      const host = saved.get(`w.${name}`);
      if (host === undefined) throw new Error(`train state lacks weight ${name}`);
      const value = tf.tensor(host.data, host.shape);
      model.setWeight(name, value);
      value.dispose();
    }
    const moments = new Map([...saved].filter(([k]) => !k.startsWith('w.')).map(([k, v]) => [k, v]));
    optimizer.load(moments, state.step);
    log(`resumed from step ${state.step} of ${totalSteps}`);
  }
  const resumedFromStep = state.step;

  const saveState = () => {
    if (options.stateDir === undefined || statePath === undefined) return;
    mkdirSync(options.stateDir, { recursive: true });
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const name of names) {
      const w = model.weight(name);
      tensors.set(`w.${name}`, { shape: [...w.shape], data: w.dataSync() as Float32Array });
    }
    for (const [k, v] of optimizer.state()) tensors.set(k, v);
    writeSafetensors(join(options.stateDir, 'train-state.safetensors'), tensors);
    writeFileSync(statePath, JSON.stringify(state));
  };

  const pool = await DataParallelGradients.start(model, {
    threads: options.threads ?? 1,
    loss: languageModelShardLoss,
    lossModule: languageModelShardLossModule,
  });
  const bar = new ProgressBar(totalSteps, 'train', 25, state.step);
  const started = Date.now() - state.seconds * 1000;
  let emaLoss = state.lossCurve.at(-1)?.loss ?? Number.NaN;
  let order: number[][] = [];
  try {
    const lastStep = Math.min(totalSteps, options.maxSteps ?? totalSteps);
    const runStarted = Date.now();
    for (let step = state.step; step < lastStep; step++) {
      if (options.maxSeconds !== undefined && (Date.now() - runStarted) / 1000 >= options.maxSeconds) break;
      const epoch = Math.floor(step / batches.length);
      if (order.length === 0 || step % batches.length === 0)
        order = shuffled(batches, options.seed * 1000 + epoch);
      const chunk = order[step % batches.length]!;
      const learningRate = warmupCosine(step, totalSteps, warmup, options.learningRate);
      const { loss, count, gradients } = await pool.gradients(
        contiguousShards(
          chunk.map((i) => documents[i]!),
          pool.threads,
        ),
      );
      optimizer.apply(weights, gradients, learningRate);
      tf.dispose(Object.values(gradients));
      state.tokensSeen += count;
      state.step = step + 1;
      emaLoss = Number.isNaN(emaLoss) ? loss : 0.98 * emaLoss + 0.02 * loss;
      if (state.step % 50 === 0 || state.step === totalSteps)
        state.lossCurve.push({ step: state.step, loss: emaLoss });
      const seconds = (Date.now() - started) / 1000;
      state.seconds = seconds;
      bar.update(state.step, {
        epoch: `${(state.step / batches.length).toFixed(2)}`,
        loss: emaLoss.toFixed(3),
        lr: learningRate.toExponential(2),
        'tok/s': ((state.tokensSeen - 0) / seconds).toFixed(0),
      });
      if (options.checkpointEvery !== undefined && state.step % options.checkpointEvery === 0) saveState();
      if (
        options.evalEvery !== undefined &&
        state.step % options.evalEvery === 0 &&
        state.step < totalSteps
      ) {
        options.onEval?.(state.step);
      }
    }
    bar.finish();
    saveState();
    if (state.step === totalSteps) options.onEval?.(state.step);
  } finally {
    await pool.close();
    optimizer.dispose();
  }
  return {
    steps: state.step,
    epochs: options.epochs,
    tokensSeen: state.tokensSeen,
    seconds: state.seconds,
    tokensPerSecond: state.tokensSeen / Math.max(1e-9, state.seconds),
    finalLoss: emaLoss,
    lossCurve: state.lossCurve,
    resumedFromStep,
    threads: options.threads ?? 1,
    complete: state.step === totalSteps,
  };
}
