// A worked example, not a published method: gradient descent on one MLP output projection W to minimise
// the target's negative log-likelihood at the last prompt position, L = -mean_j log P(t_j | prompt) (the
// loss of ROME's FT-L baseline, Meng et al. 2022, appendix). Replace it with your method's equations.
import {
  type EditContext,
  type EditOutcome,
  type EditRequest,
  InvalidHparamsError,
  InvalidRequestError,
  type Scalar,
  type Tensor,
  type Tensor2D,
  tf,
} from '@llmedit/core';
import { type CausalLM, encodeTargetPair, padBatch } from '@llmedit/models';
import type { TemplateHparams } from './hparams.js';

/** The loss of all requests together, differentiable with respect to the model's weights. */
function targetLoss(model: CausalLM, pairs: readonly { promptIds: number[]; targetIds: number[] }[]): Scalar {
  const batch = padBatch(
    pairs.map((pair) => pair.promptIds),
    model.padTokenId,
    'right',
  );
  const vocab = model.config.vocabSize;
  // Logits only where they are scored: the last prompt token of each row (`offsets` are the pads before it).
  const positions = pairs.map(
    (pair, row) => [row, (batch.offsets[row] ?? 0) + pair.promptIds.length - 1] as const,
  );
  const picks: number[] = [];
  const weights: number[] = [];
  pairs.forEach((pair, row) => {
    for (const id of pair.targetIds) {
      picks.push(row * vocab + id);
      weights.push(1 / (pair.targetIds.length * pairs.length));
    }
  });
  return tf.tidy(() => {
    const { logits } = model.forward(batch, { logits: { positions } });
    const logProbs = tf.reshape(tf.logSoftmax(logits as Tensor2D), [-1]);
    const picked = tf.gather(logProbs, tf.tensor1d(picks, 'int32'));
    return tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(weights)))) as Scalar;
  });
}

/** Whether every request's first target token is the argmax at its last prompt position. */
function allPredicted(
  model: CausalLM,
  pairs: readonly { promptIds: number[]; targetIds: number[] }[],
): boolean {
  return pairs.every((pair) => {
    const { logits } = model.forward(padBatch([pair.promptIds], model.padTokenId, 'right'), {
      logits: 'last',
    });
    const top = tf.tidy(() => tf.argMax(logits as Tensor2D, 1));
    logits?.dispose();
    const id = top.dataSync()[0];
    top.dispose();
    return id === pair.targetIds[0];
  });
}

/**
 * The edit: validate what the hparams and requests can get wrong (typed errors naming the field), keep an
 * exact copy of the weight, take gradient steps, and return an outcome that owns the copy and the delta.
 */
export async function editByGradientDescent(
  context: EditContext,
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: TemplateHparams,
): Promise<EditOutcome<CausalLM>> {
  if (hparams.layer >= model.config.numLayers) {
    throw new InvalidHparamsError(
      'layer',
      `layer ${hparams.layer} does not exist (${model.config.numLayers} layers)`,
    );
  }
  const pairs = requests.map((request, i) => {
    const pair = encodeTargetPair(model, request.prompt, request.targetNew);
    if (pair.targetIds.length === 0)
      throw new InvalidRequestError(`request ${i}`, 'targetNew', 'encodes to no tokens');
    return { promptIds: [...pair.promptIds], targetIds: [...pair.targetIds] };
  });
  const { name } = model.layout.mlpOutProjection(hparams.layer);
  const weight = model.weight(name);
  // tf.clone shares the data until the weight changes: an exact original at no cost.
  const original = tf.clone(weight);
  try {
    for (let step = 0; step < hparams.steps && !allPredicted(model, pairs); step++) {
      context.signal?.throwIfAborted();
      const { value, grads } = tf.variableGrads(() => targetLoss(model, pairs), [weight]);
      const gradient = grads[weight.name] as Tensor;
      const next = tf.tidy(() => tf.sub(weight, tf.mul(gradient, hparams.learningRate)));
      model.setWeight(name, next);
      for (const t of [value, gradient, next]) t.dispose();
      context.onProgress?.({
        stage: `step ${step + 1}/${hparams.steps}`,
        fraction: (step + 1) / hparams.steps,
      });
    }
  } catch (error) {
    // A failed edit leaves the model as it was, also for callers of doEdit outside core's edit().
    model.setWeight(name, original);
    original.dispose();
    throw error;
  }
  const delta = tf.sub(model.weight(name), original);
  return {
    model,
    deltas: new Map([[name, delta]]),
    restore: () => model.setWeight(name, original),
    dispose() {
      original.dispose();
      delta.dispose();
    },
  };
}
