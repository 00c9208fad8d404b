// Constrained fine-tuning of one module per layer (ROME's FT / FT-L baseline, Meng et al. 2022, appendix;
// EasyEdit ft_main.py, reference/easyedit.md section 4.1): the chosen weights and examples of a language
// model, trained by `trainWeights` (Adam, then the L-infinity projection around the original weights).
import { type EditContext, type EditOutcome, type EditRequest, InvalidHparamsError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import type { FtHparams } from './hparams.js';
import { buildExample, type FtExample, ftLoss } from './loss.js';
import { trainWeights } from './train-weights.js';

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
  const batches = chunks(examples, hparams.batchSize).map((batch) => ({
    loss: () => ftLoss(model, batch, objective),
    size: batch.length,
  }));
  const truncated = examples.flatMap((example, request) =>
    example.droppedPromptTokens + example.droppedTargetTokens > 0
      ? [{ request, promptTokens: example.droppedPromptTokens, targetTokens: example.droppedTargetTokens }]
      : [],
  );
  return trainWeights(context, model, names, batches, { ...hparams, label: 'FT' }, (stats) => {
    const info: FtInfo = { objective, trainedWeights: names, ...stats, truncated };
    return { ...info };
  });
}
