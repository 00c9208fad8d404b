// Knowledge attribution by integrated gradients, Dai et al. 2022 "Knowledge Neurons in Pretrained
// Transformers", eq. 3 (Attr(w_i) = w_i * int_0^1 dP(alpha w)/dw_i d alpha) and eq. 4 (its Riemann sum
// (w_i / m) * sum_{k=1..m} dP(k/m w)/dw_i), over the FFN intermediate activations at the last prompt position.
import {
  InvalidHparamsError,
  InvalidRequestError,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  tf,
} from '@llmedit/core';
import { type CausalLM, encodeTargetPair } from '@llmedit/models';

export interface AttributionOptions {
  /** Riemann steps m (EasyEdit: 20). */
  steps: number;
  /** Scaled copies (alphas) per batched forward/backward (EasyEdit `batch_size`). */
  batchSize: number;
  /** Layers to attribute; default every layer. */
  layers?: readonly number[];
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
 * Attribute `target` after `prompt` to the FFN neurons (the MLP key activations, the input of the MLP
 * output projection) at the last position: for every layer, scale that layer's activation vector a by
 * alpha = k/m (k = 1..m) at the last position only, and average the gradients of P(answer) with respect to
 * the scaled activations; score = a * mean gradient. Scaling the whole layer at once (rather than one neuron
 * at a time) is what Dai et al.'s and EasyEdit's implementations do. A multi-token answer is attributed token
 * by token with the earlier answer tokens appended (teacher forcing), and the scores are averaged.
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
  const { promptIds, targetIds } = encodeTargetPair(model, prompt, target);
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
  const scores = layers.map(() => new Float32Array(width));
  const probabilities: number[] = [];
  for (const [j, answerId] of targetIds.entries()) {
    const ids = [...promptIds, ...targetIds.slice(0, j)];
    const { probability, activations } = baseline(model, ids, answerId, layers);
    probabilities.push(probability);
    layers.forEach((layer, i) => {
      const gradientSum = new Float32Array(width);
      for (let first = 1; first <= steps; first += batchSize) {
        const alphas: number[] = [];
        for (let k = first; k < Math.min(first + batchSize, steps + 1); k++) alphas.push(k / steps);
        const sums = gradientRowsSum(model, ids, answerId, layer, activations[i] as Float32Array, alphas);
        for (let n = 0; n < width; n++) gradientSum[n]! += sums[n] as number;
      }
      const own = scores[i] as Float32Array;
      const a = activations[i] as Float32Array;
      // (w_i / m) * sum_k dP/dw_i, averaged over the answer tokens.
      for (let n = 0; n < width; n++)
        own[n]! += ((a[n] as number) * (gradientSum[n] as number)) / steps / targetIds.length;
    });
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const row of scores) for (const v of row) if (v > max) max = v;
  return { layers, scores, targetIds: [...targetIds], probabilities, max };
}

/** P(answer) and the FFN activations at the last position of the unmodified forward. */
function baseline(
  model: CausalLM,
  ids: readonly number[],
  answerId: number,
  layers: readonly number[],
): { probability: number; activations: Float32Array[] } {
  const points = layers.map((l) => model.layout.mlpKey(l));
  const { logits, captured } = model.forward(
    { ids: [ids], attentionMask: [ids.map(() => 1)] },
    { logits: 'last', hooks: points.map((point) => ({ point, capture: true })) },
  );
  const owned: Tensor[] = [logits as Tensor, ...Object.values(captured)];
  try {
    const probability = tf.tidy(() => tf.softmax(logits as Tensor2D).slice([0, answerId], [1, 1]));
    owned.push(probability);
    const last = ids.length - 1;
    const activations = points.map((point) => {
      const row = tf.tidy(() => (captured[point.key] as Tensor3D).slice([0, last, 0], [1, 1, -1]));
      owned.push(row);
      return Float32Array.from(row.dataSync());
    });
    return { probability: probability.dataSync()[0] as number, activations };
  } finally {
    for (const t of owned) t.dispose();
  }
}

/**
 * Sum over alphas of dP(answer)/d(scaled activation), where row b of a batch replaces the layer's FFN
 * activation at the last position by alphas[b] * activation. Rows are independent, so the gradient of the
 * summed probability holds each row's own gradient.
 */
function gradientRowsSum(
  model: CausalLM,
  ids: readonly number[],
  answerId: number,
  layer: number,
  activation: Float32Array,
  alphas: readonly number[],
): Float32Array {
  const rows = alphas.length;
  const width = activation.length;
  const length = ids.length;
  const point = model.layout.mlpKey(layer);
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
