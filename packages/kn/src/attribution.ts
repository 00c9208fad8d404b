// Knowledge attribution by integrated gradients, Dai et al. 2022 "Knowledge Neurons in Pretrained
// Transformers", eq. 3 (Attr(w_i) = w_i * int_0^1 dP(alpha w)/dw_i d alpha) and eq. 4 (its Riemann sum
// (w_i / m) * sum_{k=1..m} dP(k/m w)/dw_i), over the FFN intermediate neurons at the last prompt position.
import {
  InvalidHparamsError,
  InvalidRequestError,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  tf,
} from '@llmedit/core';
import { type CausalLM, encodeTargetPair, type HookPoint } from '@llmedit/models';

/**
 * Where a neuron's value is read and scaled: `activation` is the input of the MLP output projection (after
 * GELU / SiLU·up, `layout.mlpKey`), `preActivation` the activation function's input (GPT-2 `c_fc`'s output,
 * LLaMA `gate_proj`'s output, `layout.mlpPre`), where EasyEdit's KN hooks.
 */
export type AttributionSite = 'activation' | 'preActivation';

/**
 * The scaling factors: `riemann` is the paper's eq. 4 (alpha = k/m, k = 1..m); `linspace` is EasyEdit's
 * `torch.linspace(0, 1, m)` (alpha = k/(m-1), k = 0..m-1), still divided by m.
 */
export type AlphaGrid = 'riemann' | 'linspace';

/**
 * What precedes the j-th answer token when a multi-token answer is attributed: `teacherForced` appends the
 * true answer tokens before it; `promptEnd` attributes every answer token at the prompt's last position
 * (EasyEdit on GPT-2, whose re-tokenization branch tests `model_type == "gpt"` and never fires for "gpt2");
 * `greedy` appends the model's argmax tokens (EasyEdit on LLaMA).
 */
export type AnswerContext = 'teacherForced' | 'promptEnd' | 'greedy';

/**
 * How an answer is tokenized after its prompt: `spaced` as the evaluation scores it (`prompt + " " + answer`,
 * `encodeTargetPair`), `unspaced` as EasyEdit's KN does (`tokenizer.encode(answer)` on its own, with no
 * leading space; GPT-2's BPE then gives other, often more, tokens).
 */
export type AnswerSpacing = 'spaced' | 'unspaced';

/** Prompt and answer ids under a spacing (the prompt with BOS where the model reads one). */
export function encodeAnswer(
  model: CausalLM,
  prompt: string,
  answer: string,
  spacing: AnswerSpacing,
): { promptIds: readonly number[]; targetIds: readonly number[] } {
  if (spacing === 'spaced') return encodeTargetPair(model, prompt, answer);
  // The prompt as it reads alone; the answer without special tokens (EasyEdit's LLaMA path would also
  // count BOS as an answer token).
  const { promptIds } = encodeTargetPair(model, prompt, '');
  return { promptIds, targetIds: model.requireTokenizer().encode(answer) };
}

export interface AttributionOptions {
  /** Riemann steps m (EasyEdit: 20). */
  steps: number;
  /** Scaled copies (alphas) per batched forward/backward (EasyEdit `batch_size`). */
  batchSize: number;
  /** Layers to attribute; default every layer. */
  layers?: readonly number[];
  /** Default `activation`. */
  site?: AttributionSite;
  /** Default `riemann`. */
  alphas?: AlphaGrid;
  /** Default `teacherForced`. */
  answerContext?: AnswerContext;
  /** Default `spaced`. */
  spacing?: AnswerSpacing;
}

/** The m scaling factors of a grid. */
export function alphaGrid(grid: AlphaGrid, steps: number): number[] {
  if (grid === 'riemann') return Array.from({ length: steps }, (_, k) => (k + 1) / steps);
  // linspace(0, 1, 1) is [0] in torch.
  return Array.from({ length: steps }, (_, k) => (steps === 1 ? 0 : k / (steps - 1)));
}

/** Integrated-gradients scores of every FFN neuron of the attributed layers. */
export interface NeuronAttribution {
  layers: number[];
  /** scores[i][n]: attribution of neuron n of layers[i] (mean over the answer's tokens). */
  scores: Float32Array[];
  /** The answer tokens attributed (teacher forced one after another). */
  targetIds: number[];
  /** P(answer token | prompt) of the unmodified model, for each answer token. */
  probabilities: number[];
  /** Largest score over all layers. */
  max: number;
}

function checkLayers(model: CausalLM, layers: readonly number[] | undefined): number[] {
  const all = Array.from({ length: model.config.numLayers }, (_, l) => l);
  if (layers === undefined) return all;
  layers.forEach((layer, i) => {
    if (!Number.isInteger(layer) || layer < 0 || layer >= model.config.numLayers) {
      throw new InvalidHparamsError(
        `layers[${i}]`,
        `layer ${layer} does not exist (the model has ${model.config.numLayers} layers)`,
      );
    }
  });
  return [...new Set(layers)].sort((a, b) => a - b);
}

/**
 * Attribute `target` after `prompt` to the FFN neurons at the last position (by default the MLP key
 * activations, the input of the MLP output projection; `site` picks the pre-activation): for every layer,
 * scale that layer's vector a by the grid's alphas (default k/m, k = 1..m) at the last position only, and
 * average the gradients of P(answer) with respect to the scaled vector; score = a * mean gradient. Scaling
 * the whole layer at once (rather than one neuron at a time) is what Dai et al.'s and EasyEdit's
 * implementations do. A multi-token answer is attributed token by token (`answerContext`, default teacher
 * forcing), and the scores are averaged.
 *
 * @example
 * const attribution = integratedGradients(model, 'Satyajit Ray speaks', 'English', { steps: 20, batchSize: 20 });
 * attribution.scores[1][17]; // neuron 17 of layer 1
 */
export function integratedGradients(
  model: CausalLM,
  prompt: string,
  target: string,
  options: AttributionOptions,
): NeuronAttribution {
  const { promptIds, targetIds } = encodeAnswer(model, prompt, target, options.spacing ?? 'spaced');
  return integratedGradientsIds(model, promptIds, targetIds, options);
}

/** `integratedGradients` on token ids (the prompt as the model reads it, BOS included where it has one). */
export function integratedGradientsIds(
  model: CausalLM,
  promptIds: readonly number[],
  targetIds: readonly number[],
  options: AttributionOptions,
): NeuronAttribution {
  const { steps, batchSize } = options;
  if (!Number.isInteger(steps) || steps < 1)
    throw new InvalidHparamsError('steps', `must be an integer >= 1, got ${steps}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidHparamsError('batchSize', `must be an integer >= 1, got ${batchSize}`);
  }
  const layers = checkLayers(model, options.layers);
  if (promptIds.length === 0) throw new InvalidRequestError('attribution', 'prompt', 'encodes to no tokens');
  if (targetIds.length === 0) throw new InvalidRequestError('attribution', 'target', 'encodes to no tokens');
  const width = model.layout.mlpKeySize;
  const pointOf = (layer: number) =>
    options.site === 'preActivation' ? model.layout.mlpPre(layer) : model.layout.mlpKey(layer);
  const grid = alphaGrid(options.alphas ?? 'riemann', steps);
  const context = options.answerContext ?? 'teacherForced';
  const scores = layers.map(() => new Float32Array(width));
  const probabilities: number[] = [];
  let ids = [...promptIds];
  for (const [j, answerId] of targetIds.entries()) {
    if (j > 0 && context === 'teacherForced') ids = [...promptIds, ...targetIds.slice(0, j)];
    const points = layers.map(pointOf);
    const { probability, activations, argmax } = baseline(model, ids, answerId, points);
    probabilities.push(probability);
    layers.forEach((layer, i) => {
      const gradientSum = new Float32Array(width);
      for (let first = 0; first < steps; first += batchSize) {
        const alphas = grid.slice(first, first + batchSize);
        const sums = gradientRowsSum(
          model,
          ids,
          answerId,
          pointOf(layer),
          activations[i] as Float32Array,
          alphas,
        );
        for (let n = 0; n < width; n++) gradientSum[n]! += sums[n] as number;
      }
      const own = scores[i] as Float32Array;
      const a = activations[i] as Float32Array;
      // (w_i / m) * sum_k dP/dw_i, averaged over the answer tokens.
      for (let n = 0; n < width; n++)
        own[n]! += ((a[n] as number) * (gradientSum[n] as number)) / steps / targetIds.length;
    });
    if (context === 'greedy') ids = [...ids, argmax];
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const row of scores) for (const v of row) if (v > max) max = v;
  return { layers, scores, targetIds: [...targetIds], probabilities, max };
}

/** P(answer), the argmax token and the neurons' values at the last position of the unmodified forward. */
function baseline(
  model: CausalLM,
  ids: readonly number[],
  answerId: number,
  points: readonly HookPoint[],
): { probability: number; activations: Float32Array[]; argmax: number } {
  const { logits, captured } = model.forward(
    { ids: [ids], attentionMask: [ids.map(() => 1)] },
    { logits: 'last', hooks: points.map((point) => ({ point, capture: true })) },
  );
  const owned: Tensor[] = [logits as Tensor, ...Object.values(captured)];
  try {
    const probability = tf.tidy(() => tf.softmax(logits as Tensor2D).slice([0, answerId], [1, 1]));
    const best = tf.argMax(logits as Tensor2D, 1);
    owned.push(probability, best);
    const last = ids.length - 1;
    const activations = points.map((point) => {
      const row = tf.tidy(() => (captured[point.key] as Tensor3D).slice([0, last, 0], [1, 1, -1]));
      owned.push(row);
      return Float32Array.from(row.dataSync());
    });
    return {
      probability: probability.dataSync()[0] as number,
      activations,
      argmax: best.dataSync()[0] as number,
    };
  } finally {
    for (const t of owned) t.dispose();
  }
}

/**
 * Sum over alphas of dP(answer)/d(scaled value), where row b of a batch replaces the hook point's value at
 * the last position by alphas[b] * value. Rows are independent, so the gradient of the summed probability
 * holds each row's own gradient.
 */
function gradientRowsSum(
  model: CausalLM,
  ids: readonly number[],
  answerId: number,
  point: HookPoint,
  activation: Float32Array,
  alphas: readonly number[],
): Float32Array {
  const rows = alphas.length;
  const width = activation.length;
  const length = ids.length;
  const batch = {
    ids: Array.from({ length: rows }, () => ids),
    attentionMask: Array.from({ length: rows }, () => ids.map(() => 1)),
  };
  const scaledValues = new Float32Array(rows * width);
  alphas.forEach((alpha, b) => {
    for (let n = 0; n < width; n++) scaledValues[b * width + n] = alpha * (activation[n] as number);
  });
  const scaled = tf.tensor2d(scaledValues, [rows, width]);
  try {
    const summed = tf.tidy(() => {
      const probabilityOf = (input: Tensor) => {
        const replaced = tf.reshape(input, [rows, 1, width]) as Tensor3D;
        const { logits } = model.forward(batch, {
          logits: 'last',
          // The prompt's other positions keep their own activations; only the last one is scaled.
          hooks: [
            {
              point,
              replace: (x) =>
                length === 1
                  ? replaced
                  : (tf.concat([tf.slice(x, [0, 0, 0], [rows, length - 1, width]), replaced], 1) as Tensor3D),
            },
          ],
        });
        return tf.sum(tf.slice(tf.softmax(logits as Tensor2D), [0, answerId], [rows, 1]));
      };
      return tf.sum(tf.grad(probabilityOf)(scaled), 0);
    });
    const values = Float32Array.from(summed.dataSync());
    summed.dispose();
    return values;
  } finally {
    scaled.dispose();
  }
}
