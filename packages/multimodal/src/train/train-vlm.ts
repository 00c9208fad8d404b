// Training of a VLM's vision tower and projector with the language model frozen (BLIP-2 and MiniGPT-4 keep
// theirs frozen): teacher-forced cross-entropy of the answer tokens after the image and the prompt.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, type Scalar, type Tensor, type Tensor2D, tf, type Variable } from '@llmedit/core';
import {
  generateScene,
  parseSceneImageId,
  SCENE_COLOURS,
  SCENE_SHAPES,
  SCENE_SIZE,
  sceneSeeds,
  sceneView,
} from '@llmedit/datasets';
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
  /**
   * Weight of the auxiliary scene loss on the tower's pooled features (0: none). The tower starts from random
   * weights (BLIP-2 and MiniGPT-4 start from a pretrained CLIP/EVA tower), and the answer loss reaches it only
   * through the frozen language model; predicting what the scene holds directly (which colour-shape pairs, how
   * many objects, where each is) gives it features to start from. The head is discarded after training.
   */
  auxiliaryWeight?: number;
  /** Stop (saving the state) after this many minutes of this run; resume continues from there. */
  timeBudgetMinutes?: number;
  log?: (line: string) => void;
}

export const DEFAULT_VLM_TRAINING: Omit<VlmTrainOptions, 'work'> = {
  steps: 2500,
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

const PAIRS = SCENE_COLOURS.length * SCENE_SHAPES.length;

/** What the auxiliary head predicts for one image: pair presence, object count, each present pair's x. */
function sceneTargets(image: string): { presence: number[]; count: number; x: number[] } {
  const { seed, view } = parseSceneImageId(image);
  const layout = sceneView(generateScene(seed), view);
  const presence = new Array<number>(PAIRS).fill(0);
  const x = new Array<number>(PAIRS).fill(0);
  for (const o of layout.objects) {
    const pair = SCENE_COLOURS.indexOf(o.colour) * SCENE_SHAPES.length + SCENE_SHAPES.indexOf(o.shape);
    presence[pair] = 1;
    x[pair] = o.x / SCENE_SIZE - 0.5;
  }
  return { presence, count: layout.objects.length - 1, x };
}

/** The auxiliary head's weights: pooled tower features -> pair logits, 4 count logits, pair x positions. */
export function auxiliaryHead(vlm: VisionLanguageModel): Map<string, Variable> {
  const d = vlm.config.vision.hiddenSize;
  const outputs = 2 * PAIRS + 4;
  return new Map([
    ['aux.weight', tf.variable(tf.randomNormal([d, outputs], 0, 0.02, 'float32', 7), true)],
    ['aux.bias', tf.variable(tf.zeros([outputs]), true)],
  ]);
}

/** BCE of pair presence + CE of the count + MSE of present pairs' x, from the mean of the feature block's tokens. */
function auxiliaryLoss(
  features: Tensor,
  head: ReadonlyMap<string, Variable>,
  examples: readonly SceneExample[],
): Scalar {
  const targets = examples.map((e) => sceneTargets(e.image));
  return tf.tidy(() => {
    const pooled = tf.mean(features, 1);
    const out = tf.add(
      tf.matMul(pooled as Tensor2D, head.get('aux.weight')! as Tensor2D),
      head.get('aux.bias')!,
    );
    const presence = tf.tensor2d(targets.map((t) => t.presence));
    const bce = tf.losses.sigmoidCrossEntropy(presence, tf.slice(out, [0, 0], [-1, PAIRS]));
    const count = tf.oneHot(
      tf.tensor1d(
        targets.map((t) => t.count),
        'int32',
      ),
      4,
    );
    const ce = tf.losses.softmaxCrossEntropy(count, tf.slice(out, [0, PAIRS], [-1, 4]));
    const x = tf.slice(out, [0, PAIRS + 4], [-1, PAIRS]);
    const present = targets.reduce((n, t) => n + t.presence.reduce((a, b) => a + b, 0), 0);
    const mse = tf.div(
      tf.sum(tf.mul(tf.square(tf.sub(x, tf.tensor2d(targets.map((t) => t.x)))), presence)),
      present,
    );
    return tf.addN([bce, ce, tf.mul(mse, 10)]) as Scalar;
  });
}

/** Mean over examples of the mean -log p(answer token | image, prompt); differentiable w.r.t. the vision weights. */
export function answerLoss(
  vlm: VisionLanguageModel,
  examples: readonly SceneExample[],
  auxiliary?: { head: ReadonlyMap<string, Variable>; weight: number },
): Scalar {
  const lm = vlm.languageModel;
  const pairs = examples.map((e) => encodeTargetPair(lm, e.prompt, e.target));
  const batch = padBatch(
    pairs.map((p) => [...p.promptIds, ...p.targetIds]),
    0,
    'right',
  );
  const positions: [number, number][] = [];
  const labels: number[] = [];
  const rows: number[] = [];
  const lengths = pairs.map((p) => p.targetIds.length);
  pairs.forEach((p, row) => {
    p.targetIds.forEach((id, j) => {
      positions.push([row, p.promptIds.length + j - 1]);
      labels.push(id);
      rows.push(row);
    });
  });
  const featureKey = `vision.residual.${vlm.config.vision.numLayers - 1}` as const;
  return tf.tidy(() => {
    const { logits, captured } = vlm.forward(
      { images: examples.map((e) => e.image), batch },
      {
        logits: { positions },
        ...(auxiliary === undefined ? {} : { visionHooks: [{ key: featureKey, capture: true }] }),
      },
    );
    const logProbs = tf.logSoftmax(logits as Tensor);
    const vocab = lm.config.vocabSize;
    const picks = tf.tensor1d(
      Int32Array.from(labels, (id, i) => i * vocab + id),
      'int32',
    );
    // Each example weighs the same, whatever its answer's length: a token mean would let the ten-token
    // captions outweigh the one- or two-token answers of the questions.
    const weights = tf.tensor1d(Float32Array.from(rows, (row) => 1 / (lengths[row]! * examples.length)));
    const answer = tf.neg(tf.sum(tf.mul(tf.gather(tf.reshape(logProbs, [-1]), picks), weights))) as Scalar;
    if (auxiliary === undefined) return answer;
    const aux = auxiliaryLoss(captured[featureKey]!, auxiliary.head, examples);
    return tf.add(answer, tf.mul(aux, auxiliary.weight)) as Scalar;
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
  const head = (options.auxiliaryWeight ?? 0) > 0 ? auxiliaryHead(vlm) : undefined;
  const trained = new Map([...variables, ...(head ?? [])]);
  const auxiliary = head === undefined ? undefined : { head, weight: options.auxiliaryWeight! };
  const trainSeeds = sceneSeeds('train');
  const started = performance.now();
  const budgetMs = (options.timeBudgetMinutes ?? Number.POSITIVE_INFINITY) * 60_000;
  const baseSeconds = state.seconds;
  let window: number[] = [];
  while (state.step < options.steps && performance.now() - started < budgetMs) {
    const examples = Array.from({ length: options.batchSize }, (_, slot) =>
      drawExample(trainSeeds, options, state.step, slot),
    );
    const { value, grads } = tf.variableGrads(
      () => answerLoss(vlm, examples, auxiliary),
      [...trained.values()],
    );
    const byName: Record<string, Tensor> = {};
    for (const [name, variable] of trained) byName[name] = grads[variable.name]!;
    const lr = warmupCosine(state.step, options.steps, options.warmup, options.learningRate);
    optimiser.apply(trained, byName, lr);
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
  for (const v of head?.values() ?? []) v.dispose();
  return {
    stepsDone: state.step,
    finished: state.step >= options.steps,
    lossCurve: state.lossCurve,
    seconds: state.seconds,
  };
}
