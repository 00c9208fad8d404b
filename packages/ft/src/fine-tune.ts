// Constrained fine-tuning of one module per layer (ROME's FT / FT-L baseline, Meng et al. 2022, appendix;
// EasyEdit ft_main.py, reference/easyedit.md section 4.1): Adam on the chosen weights, then after every
// step the projection W <- clip(W, W0 - eps, W0 + eps) onto the L-infinity ball around the original W0.
import {
  type EditContext,
  type EditOutcome,
  type EditRequest,
  InvalidHparamsError,
  LlmeditError,
  type Tensor,
  tf,
  type Variable,
} from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { Adam } from './adam.js';
import type { FtHparams } from './hparams.js';
import { buildExample, type FtExample, ftLoss } from './loss.js';

/**
 * The weights FT trains: every weight of the rewrite module of each chosen layer (`rewriteModuleTmp` with
 * the layer for '{}', else the layout's MLP output projection module), in model order.
 */
export function trainableWeightNames(model: CausalLM, hparams: FtHparams): string[] {
  const all = model.weightNames();
  const chosen = new Set<string>();
  for (const [index, layer] of hparams.layers.entries()) {
    if (layer >= model.config.numLayers) {
      throw new InvalidHparamsError(
        `layers[${index}]`,
        `layer ${layer} does not exist (the model has ${model.config.numLayers} layers)`,
      );
    }
    const module =
      hparams.rewriteModuleTmp?.replaceAll('{}', String(layer)) ??
      model.layout.mlpOutProjection(layer).name.replace(/\.weight$/, '');
    const names = all.filter((name) => name === module || name.startsWith(`${module}.`));
    if (names.length === 0) {
      throw new InvalidHparamsError(
        hparams.rewriteModuleTmp === undefined ? 'layers' : 'rewriteModuleTmp',
        `no weight of module '${module}' in the model (weights look like ${all[0] ?? '(none)'})`,
      );
    }
    for (const name of names) chosen.add(name);
  }
  return all.filter((name) => chosen.has(name));
}

/** Diagnostics of one FT edit (JSON-serialisable). */
export interface FtInfo {
  readonly objective: FtHparams['objectiveOptimization'];
  readonly trainedWeights: readonly string[];
  /** Mean loss of each epoch that ran. */
  readonly epochLosses: readonly number[];
  /** Optimiser steps taken (steps whose loss was below the threshold are skipped). */
  readonly optimizerSteps: number;
  /** Largest |W - W0| over the trained weights at the end. */
  readonly maxAbsDelta: number;
  /**
   * The requests cut to `min(maxLength, model positions)` tokens (index into the call's requests, tokens
   * dropped from the prompt's start and the target's end); empty when every request fit.
   */
  readonly truncated: readonly { request: number; promptTokens: number; targetTokens: number }[];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Run FT on `requests` and leave the trained weights in the model. The outcome holds the original weights
 * (for `restore()`, bit for bit) and the deltas W - W0.
 */
export async function fineTune(
  context: EditContext,
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: FtHparams,
): Promise<EditOutcome<CausalLM>> {
  const objective = hparams.objectiveOptimization;
  const names = trainableWeightNames(model, hparams);
  const examples: FtExample[] = requests.map((request, i) =>
    buildExample(model, request, objective, hparams.maxLength, `request ${i}`),
  );
  const variables: Variable[] = names.map((name) => model.weight(name));
  // Shares data with the live weights until they change: exact originals at no cost.
  const originals = variables.map((variable) => tf.clone(variable));
  const restoreOriginals = () => {
    names.forEach((name, i) => {
      model.setWeight(name, originals[i] as Tensor);
    });
  };
  const eps = hparams.normConstraint;
  const bounds =
    eps === false
      ? undefined
      : originals.map((w0) => tf.tidy(() => [tf.sub(w0, eps), tf.add(w0, eps)] as [Tensor, Tensor]));
  const adam = new Adam(variables.length, { lr: hparams.lr, weightDecay: hparams.weightDecay });
  const epochLosses: number[] = [];
  let optimizerSteps = 0;
  const batches = chunks(examples, hparams.batchSize);
  try {
    for (let epoch = 0; epoch < hparams.numSteps; epoch++) {
      context.signal?.throwIfAborted();
      let lossSum = 0;
      for (const batch of batches) {
        const { value, grads } = tf.variableGrads(() => ftLoss(model, batch, objective), variables);
        const loss = value.dataSync()[0] as number;
        value.dispose();
        lossSum += loss * batch.length;
        if (loss >= hparams.lossThreshold) {
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
      const mean = lossSum / examples.length;
      epochLosses.push(mean);
      context.onProgress?.({
        stage: `epoch ${epoch + 1}/${hparams.numSteps}`,
        fraction: (epoch + 1) / hparams.numSteps,
      });
      if (mean < hparams.lossThreshold) break;
    }
  } catch (error) {
    // Leave the model as it was even when called outside edit() (which restores its own snapshot too).
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
  const truncated = examples.flatMap((example, request) =>
    example.droppedPromptTokens + example.droppedTargetTokens > 0
      ? [{ request, promptTokens: example.droppedPromptTokens, targetTokens: example.droppedTargetTokens }]
      : [],
  );
  const info: FtInfo = {
    objective,
    trainedWeights: names,
    epochLosses,
    optimizerSteps,
    maxAbsDelta,
    truncated,
  };
  let disposed = false;
  return {
    model,
    deltas,
    info: { ...info },
    weightsOnly: true,
    restore() {
      if (disposed) throw new LlmeditError('EDIT_DISPOSED', 'FT outcome restore() after dispose()');
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
