// Training of a VLM's vision tower and projector with the language model frozen (BLIP-2 and MiniGPT-4 keep
// theirs frozen): teacher-forced cross-entropy of the answer tokens after the image and the prompt.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, type Scalar, type Tensor, tf, type Variable } from '@llmedit/core';
import { sceneSeeds } from '@llmedit/datasets';
import { encodeTargetPair, padBatch } from '@llmedit/models';
import { readSafetensors, writeSafetensors } from '@llmedit/models/node';
import { AdamW, warmupCosine } from '@llmedit/pretrained';
import {
  CAPTION_PROMPT,
  CAPTION_PROMPT_REPHRASES,
  captionExample,
  type SceneExample,
  vqaExamples,
} from '../scene-tasks.js';
import type { VisionLanguageModel } from '../vlm.js';

export interface VlmTrainOptions {
  /** Folder of the resumable training state (vision weights, optimiser moments, step). */
  work: string;
  steps: number;
  batchSize: number;
  learningRate: number;
  warmup: number;
  seed: number;
  /** Share of caption examples in a batch; the rest are questions. */
  captionShare: number;
  /** Renderings per training scene (view 0 and views 1..views-1 as augmentation). */
  views: number;
  /** Write the resumable state every this many steps. */
  saveEvery: number;
  /** Stop (saving the state) after this many minutes of this run; resume continues from there. */
  timeBudgetMinutes?: number;
  log?: (line: string) => void;
}

export const DEFAULT_VLM_TRAINING: Omit<VlmTrainOptions, 'work'> = {
  steps: 3000,
  batchSize: 32,
  learningRate: 1e-3,
  warmup: 100,
  seed: 0,
  captionShare: 0.25,
  views: 8,
  saveEvery: 100,
};

export interface VlmTrainReport {
  stepsDone: number;
  finished: boolean;
  lossCurve: { step: number; loss: number }[];
  seconds: number;
}

/** One training example drawn for (seed, step, slot): deterministic, so a resumed run draws the same batches. */
function drawExample(
  trainSeeds: readonly number[],
  options: VlmTrainOptions,
  step: number,
  slot: number,
): SceneExample {
  const rng = createRng(options.seed * 1_000_003 + step * 4099 + slot);
  const scene = trainSeeds[Math.floor(rng.next() * trainSeeds.length)]!;
  const view = Math.floor(rng.next() * options.views);
  if (rng.next() < options.captionShare) {
    const prompts = [CAPTION_PROMPT, ...CAPTION_PROMPT_REPHRASES];
    return { ...captionExample(scene, view), prompt: prompts[Math.floor(rng.next() * prompts.length)]! };
  }
  const questions = vqaExamples(scene, view);
  const question = questions[Math.floor(rng.next() * questions.length)]!;
  const phrasings = [question.prompt, ...question.rephrases];
  return { ...question, prompt: phrasings[Math.floor(rng.next() * phrasings.length)]! };
}

/** Mean -log p(answer tokens | image, prompt) over a batch; differentiable w.r.t. the vision weights. */
export function answerLoss(vlm: VisionLanguageModel, examples: readonly SceneExample[]): Scalar {
  const lm = vlm.languageModel;
  const pairs = examples.map((e) => encodeTargetPair(lm, e.prompt, e.target));
  const batch = padBatch(
    pairs.map((p) => [...p.promptIds, ...p.targetIds]),
    0,
    'right',
  );
  const positions: [number, number][] = [];
  const labels: number[] = [];
  pairs.forEach((p, row) => {
    p.targetIds.forEach((id, j) => {
      positions.push([row, p.promptIds.length + j - 1]);
      labels.push(id);
    });
  });
  return tf.tidy(() => {
    const { logits } = vlm.forward(
      { images: examples.map((e) => e.image), batch },
      { logits: { positions } },
    );
    const logProbs = tf.logSoftmax(logits as Tensor);
    const vocab = lm.config.vocabSize;
    const picks = tf.tensor1d(
      Int32Array.from(labels, (id, i) => i * vocab + id),
      'int32',
    );
    return tf.neg(tf.mean(tf.gather(tf.reshape(logProbs, [-1]), picks))) as Scalar;
  });
}

const STATE_WEIGHTS = 'vision.safetensors';
const STATE_OPTIMISER = 'optimiser.safetensors';
const STATE_JSON = 'state.json';

interface SavedState {
  step: number;
  lossCurve: { step: number; loss: number }[];
  seconds: number;
}

/** Weights that get weight decay: the matrices, not norms, biases, embeddings of positions or the class token. */
const decays = (name: string) => /(_proj|fc1|fc2|linear_\d|patch_embedding)\.weight$/.test(name);

/**
 * Train (or resume training) the vision tower and projector of `vlm`; the language model's weights are not
 * touched. Returns when `steps` are done or the time budget is spent, with the state saved in `work`.
 */
export async function trainVisionSide(
  vlm: VisionLanguageModel,
  options: VlmTrainOptions,
): Promise<VlmTrainReport> {
  const log = options.log ?? (() => {});
  mkdirSync(options.work, { recursive: true });
  // CLIP's post_layernorm is in every checkpoint but LLaVA's features are read before it: it gets no gradient.
  const names = vlm.visionWeightNames().filter((n) => !n.includes('post_layernorm'));
  const variables = new Map<string, Variable>(names.map((n) => [n, vlm.weight(n)]));
  const optimiser = new AdamW(
    { beta1: 0.9, beta2: 0.98, epsilon: 1e-8, weightDecay: 0.01, clipNorm: 1 },
    decays,
  );
  let state: SavedState = { step: 0, lossCurve: [], seconds: 0 };
  if (existsSync(join(options.work, STATE_JSON))) {
    state = JSON.parse(readFileSync(join(options.work, STATE_JSON), 'utf8')) as SavedState;
    for (const [name, host] of readSafetensors(join(options.work, STATE_WEIGHTS))) {
      tf.tidy(() => vlm.setWeight(name, tf.tensor(host.data, host.shape)));
    }
    optimiser.load(readSafetensors(join(options.work, STATE_OPTIMISER)), state.step);
    log(`resumed at step ${state.step}`);
  }
  const save = () => {
    const weights = new Map(
      names.map((n) => [
        n,
        { shape: [...variables.get(n)!.shape], data: variables.get(n)!.dataSync() as Float32Array },
      ]),
    );
    writeSafetensors(join(options.work, STATE_WEIGHTS), weights);
    writeSafetensors(join(options.work, STATE_OPTIMISER), optimiser.state());
    writeFileSync(join(options.work, STATE_JSON), `${JSON.stringify(state)}\n`);
  };
  const trainSeeds = sceneSeeds('train');
  const started = performance.now();
  const budgetMs = (options.timeBudgetMinutes ?? Number.POSITIVE_INFINITY) * 60_000;
  const baseSeconds = state.seconds;
  let window: number[] = [];
  while (state.step < options.steps && performance.now() - started < budgetMs) {
    const examples = Array.from({ length: options.batchSize }, (_, slot) =>
      drawExample(trainSeeds, options, state.step, slot),
    );
    const { value, grads } = tf.variableGrads(() => answerLoss(vlm, examples), [...variables.values()]);
    const byName: Record<string, Tensor> = {};
    for (const [name, variable] of variables) byName[name] = grads[variable.name]!;
    const lr = warmupCosine(state.step, options.steps, options.warmup, options.learningRate);
    optimiser.apply(variables, byName, lr);
    window.push(value.dataSync()[0]!);
    tf.dispose([value, ...Object.values(grads)]);
    state.step++;
    state.seconds = baseSeconds + (performance.now() - started) / 1000;
    if (state.step % 25 === 0 || state.step === options.steps) {
      const loss = window.reduce((a, b) => a + b, 0) / window.length;
      state.lossCurve.push({ step: state.step, loss });
      window = [];
      log(
        `step ${state.step}/${options.steps} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} ${(state.seconds / state.step).toFixed(2)} s/step`,
      );
    }
    if (state.step % options.saveEvery === 0) save();
  }
  save();
  optimiser.dispose();
  return {
    stepsDone: state.step,
    finished: state.step >= options.steps,
    lossCurve: state.lossCurve,
    seconds: state.seconds,
  };
}
