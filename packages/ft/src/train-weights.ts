// The constrained fine-tuning loop FT runs (ROME's FT / FT-L baseline, Meng et al. 2022, appendix; EasyEdit
// ft_main.py): Adam on named weights of any editable model, after every step the projection
// W <- clip(W, W0 - eps, W0 + eps) onto the L-infinity ball around the original W0. FT runs it on a language
// model's MLP weights, MMEdit's FT-Vision on a VLM's projector and vision blocks.
import {
  type EditableModel,
  type EditContext,
  type EditOutcome,
  LlmeditError,
  type Scalar,
  type Tensor,
  tf,
  type Variable,
} from '@llmedit/core';
import { Adam } from './adam.js';

/** One optimiser step's batch: its mean loss (differentiable w.r.t. the trained weights) and its size. */
export interface WeightBatch {
  loss(): Scalar;
  size: number;
}

export interface TrainWeightsOptions {
  /** Epochs over the batches. */
  numSteps: number;
  lr: number;
  weightDecay: number;
  /** eps of the L-infinity clamp around the original weights; false: no clamp. */
  normConstraint: number | false;
  /** A batch whose loss is below this takes no step; an epoch whose mean loss is below it ends training. */
  lossThreshold: number;
  /** Names the outcome in errors ('FT', 'FT-Vision'). */
  label: string;
}

/** What the loop measured, for the method's `info`. */
export interface TrainWeightsStats {
  /** Mean loss of each epoch that ran. */
  epochLosses: number[];
  /** Optimiser steps taken (batches below the threshold take none). */
  optimizerSteps: number;
  /** Largest |W - W0| over the trained weights at the end. */
  maxAbsDelta: number;
}

/**
 * Train the weights `names` of `model` and leave them trained. The outcome holds the original weights (for
 * `restore()`, bit for bit) and the deltas W - W0; its `info` is `describe(stats)`. On failure the weights
 * are restored before the error propagates (also outside `edit()`, which restores its own snapshot too).
 */
export async function trainWeights<M extends EditableModel>(
  context: EditContext,
  model: M,
  names: readonly string[],
  batches: readonly WeightBatch[],
  options: TrainWeightsOptions,
  describe: (stats: TrainWeightsStats) => Record<string, unknown>,
): Promise<EditOutcome<M>> {
  const variables: Variable[] = names.map((name) => model.weight(name));
  // Shares data with the live weights until they change: exact originals at no cost.
  const originals = variables.map((variable) => tf.clone(variable));
  const restoreOriginals = () => {
    names.forEach((name, i) => {
      model.setWeight(name, originals[i] as Tensor);
    });
  };
  const eps = options.normConstraint;
  const bounds =
    eps === false
      ? undefined
      : originals.map((w0) => tf.tidy(() => [tf.sub(w0, eps), tf.add(w0, eps)] as [Tensor, Tensor]));
  const adam = new Adam(variables.length, { lr: options.lr, weightDecay: options.weightDecay });
  const epochLosses: number[] = [];
  let optimizerSteps = 0;
  const examples = batches.reduce((sum, batch) => sum + batch.size, 0);
  try {
    for (let epoch = 0; epoch < options.numSteps; epoch++) {
      context.signal?.throwIfAborted();
      let lossSum = 0;
      for (const batch of batches) {
        const { value, grads } = tf.variableGrads(() => batch.loss(), variables);
        const loss = value.dataSync()[0] as number;
        value.dispose();
        lossSum += loss * batch.size;
        if (loss >= options.lossThreshold) {
          const gradients = variables.map((variable) => grads[variable.name] as Tensor);
          const updated = adam.update(variables, gradients);
          updated.forEach((next, i) => {
            const range = bounds?.[i];
            if (range === undefined) {
              model.setWeight(names[i] as string, next);
            } else {
              const clamped = tf.tidy(() => tf.minimum(tf.maximum(next, range[0]), range[1]));
              model.setWeight(names[i] as string, clamped);
              clamped.dispose();
            }
            next.dispose();
          });
          optimizerSteps++;
        }
        for (const gradient of Object.values(grads)) gradient.dispose();
      }
      const mean = lossSum / examples;
      epochLosses.push(mean);
      context.onProgress?.({
        stage: `epoch ${epoch + 1}/${options.numSteps}`,
        fraction: (epoch + 1) / options.numSteps,
      });
      if (mean < options.lossThreshold) break;
    }
  } catch (error) {
    restoreOriginals();
    for (const w0 of originals) w0.dispose();
    throw error;
  } finally {
    adam.dispose();
    for (const range of bounds ?? []) for (const t of range) t.dispose();
  }

  const deltas = new Map<string, Tensor>();
  names.forEach((name, i) => {
    deltas.set(name, tf.sub(model.weight(name), originals[i] as Tensor));
  });
  const maxTensor = tf.tidy(() => tf.max(tf.stack([...deltas.values()].map((d) => tf.max(tf.abs(d))))));
  const maxAbsDelta = maxTensor.dataSync()[0] as number;
  maxTensor.dispose();
  let disposed = false;
  return {
    model,
    deltas,
    info: describe({ epochLosses, optimizerSteps, maxAbsDelta }),
    weightsOnly: true,
    restore() {
      if (disposed)
        throw new LlmeditError('EDIT_DISPOSED', `${options.label} outcome restore() after dispose()`);
      restoreOriginals();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of [...originals, ...deltas.values()]) t.dispose();
      deltas.clear();
    },
  };
}
