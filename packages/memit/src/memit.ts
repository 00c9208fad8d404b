// MEMIT (Meng et al. 2023, "Mass-Editing Memory in a Transformer", Algorithm 1): per fact i a target
// z_i = h_i^L + delta_i at the last edited layer L (eq. 9-11); then for each layer l in order,
// r_i^l = (z_i - h_i^L) / (L - l + 1) (eq. 16, with h^L measured on the model edited so far) and
//   Delta^l = R^l K^l^T (C0^l + K^l K^l^T)^-1,  C0^l = lambda E[k k^T]   (eq. 14),
// solved in float64 as Delta^T = (lambda C + K K^T)^-1 (K R^T) with one Cholesky factorisation per layer.
import { type EditContext, type EditOutcome, type EditRequest, InvalidHparamsError, tf } from '@llmedit/core';
import {
  atBarePrompt,
  averageOverTemplates,
  contextTemplates,
  factorSpd,
  type LayerStats,
  layerStats,
  optimizeValues,
  prepareRequests,
  WeightEdits,
} from '@llmedit/locate';
import type { CausalLM } from '@llmedit/models';
import type { MemitHparams } from './hparams.js';

export interface MemitLayerInfo {
  readonly layer: number;
  readonly weight: string;
  /** Mean over facts of ||z_i - h_i^L|| before this layer's update. */
  readonly meanResidualNorm: number;
  /** Frobenius norm of this layer's update. */
  readonly updateNorm: number;
  /** Diagonal shift the Cholesky factorisation needed (0 normally). */
  readonly shift: number;
}

export interface MemitInfo {
  readonly requests: number;
  readonly contextTemplates: number;
  /** Mean target probability over the facts' rewriting prompts before and after the z optimisation. */
  readonly zTargetProbabilityBefore: number;
  readonly zTargetProbabilityAfter: number;
  readonly zUpdates: number;
  readonly layers: readonly MemitLayerInfo[];
}

/**
 * The float64 matrices of eq. 14 for one layer: A = lambda C + K^T K (dk x dk) and B = K^T R (dk x d),
 * with K [n, dk] and R [n, d] row-major. C = I when `mom2` is undefined.
 */
export function memitSystem(
  keys: Float64Array,
  residuals: Float64Array,
  n: number,
  dk: number,
  d: number,
  lambda: number,
  mom2: Float64Array | undefined,
): { a: Float64Array; b: Float64Array } {
  const a = new Float64Array(dk * dk);
  if (mom2 === undefined) {
    for (let i = 0; i < dk; i++) a[i * dk + i] = lambda;
  } else {
    for (let i = 0; i < dk * dk; i++) a[i] = lambda * (mom2[i] as number);
  }
  const b = new Float64Array(dk * d);
  for (let r = 0; r < n; r++) {
    const k = keys.subarray(r * dk, (r + 1) * dk);
    const res = residuals.subarray(r * d, (r + 1) * d);
    for (let i = 0; i < dk; i++) {
      const ki = k[i] as number;
      if (ki === 0) continue;
      const row = i * dk;
      // Lower triangle only: the factorisation reads nothing else; mirrored below.
      for (let j = 0; j <= i; j++) a[row + j] = (a[row + j] as number) + ki * (k[j] as number);
      const rowB = i * d;
      for (let j = 0; j < d; j++) b[rowB + j] = (b[rowB + j] as number) + ki * (res[j] as number);
    }
  }
  for (let i = 0; i < dk; i++) for (let j = 0; j < i; j++) a[j * dk + i] = a[i * dk + j] as number;
  return { a, b };
}

/**
 * Edit many facts at once with MEMIT. The update of each layer is applied before the next layer's keys
 * and residuals are measured, as in the reference implementation. The outcome restores every weight bit
 * for bit.
 */
export async function applyMemit(
  context: EditContext,
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: MemitHparams,
): Promise<EditOutcome<CausalLM>> {
  hparams.layers.forEach((layer, i) => {
    if (layer >= model.config.numLayers) {
      throw new InvalidHparamsError(
        `layers[${i}]`,
        `layer ${layer} does not exist (the model has ${model.config.numLayers} layers)`,
      );
    }
  });
  const layers = [...hparams.layers].sort((a, b) => a - b);
  const lastLayer = layers[layers.length - 1] as number;
  const n = requests.length;
  const d = model.config.hiddenSize;
  const dk = model.layout.mlpKeySize;
  const batching = { maxBatchTokens: hparams.maxBatchTokens };
  const templates = contextTemplates(model, hparams.contextTemplateLengthParams, context.seed);
  const prepared = prepareRequests(model, requests, templates, hparams.factToken);

  // Statistics first: a missing file fails before any optimisation work.
  let stats: Map<number, LayerStats> | undefined;
  if (hparams.mom2Adjustment) {
    stats = await layerStats(model, layers, {
      samples: hparams.mom2NSamples,
      dataset: hparams.mom2Dataset,
      maxBatchTokens: hparams.maxBatchTokens,
      // The first pass over the corpus takes a while (half a minute on the default model): say how far it is.
      onProgress: (done, total) =>
        context.onProgress?.({ stage: 'layer statistics', fraction: done / total }),
      ...(hparams.statsDir !== undefined ? { cacheDir: hparams.statsDir } : {}),
    });
  }

  context.onProgress?.({ stage: 'z optimisation', fraction: 0 });
  const values = optimizeValues(
    model,
    prepared.map((p) => p.value),
    {
      layer: lastLayer,
      at: 'residual',
      steps: hparams.vNumGradSteps,
      lr: hparams.vLr,
      weightDecay: hparams.vWeightDecay,
      clampNormFactor: hparams.clampNormFactor,
      klFactor: hparams.klFactor,
      ...batching,
      ...(context.signal !== undefined ? { signal: context.signal } : {}),
    },
  );
  const targets = new Float64Array(n * d);
  values.forEach((value, i) => {
    targets.set(value.target, i * d);
  });

  const edits = new WeightEdits(model);
  const layerInfo: MemitLayerInfo[] = [];
  try {
    for (const [index, layer] of layers.entries()) {
      context.signal?.throwIfAborted();
      context.onProgress?.({ stage: `layer ${layer}`, fraction: (index + 1) / (layers.length + 1) });
      const keyPoint = model.layout.mlpKey(layer);
      const keys = averageOverTemplates(model, prepared, [keyPoint], 'grouped', batching).get(
        keyPoint.key,
      ) as Float64Array;
      const current = atBarePrompt(model, prepared, [model.layout.residual(lastLayer)], batching).get(
        `residual.${lastLayer}`,
      ) as Float32Array;
      // Eq. 16: this layer takes an equal share of what is still missing at L.
      const share = layers.length - index;
      const residuals = new Float64Array(n * d);
      let residualNormSum = 0;
      for (let i = 0; i < n; i++) {
        let normSquared = 0;
        for (let j = 0; j < d; j++) {
          const missing = (targets[i * d + j] as number) - (current[i * d + j] as number);
          normSquared += missing * missing;
          residuals[i * d + j] = missing / share;
        }
        residualNormSum += Math.sqrt(normSquared);
      }
      const { a, b } = memitSystem(
        keys,
        residuals,
        n,
        dk,
        d,
        hparams.mom2UpdateWeight,
        stats?.get(layer)?.mom2,
      );
      const factor = factorSpd(a, dk);
      const update = factor.solve(b, d);
      let normSquared = 0;
      for (let i = 0; i < update.length; i++) normSquared += (update[i] as number) ** 2;
      const delta = tf.tensor2d(Float32Array.from(update), [dk, d]);
      try {
        edits.addInOut(model.layout.mlpOutProjection(layer), delta);
      } finally {
        delta.dispose();
      }
      layerInfo.push({
        layer,
        weight: model.layout.mlpOutProjection(layer).name,
        meanResidualNorm: residualNormSum / n,
        updateNorm: Math.sqrt(normSquared),
        shift: factor.shift,
      });
    }
  } catch (error) {
    edits.restoreAndDispose();
    throw error;
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
  const info: MemitInfo = {
    requests: n,
    contextTemplates: templates.flat().length,
    zTargetProbabilityBefore: mean(values.map((v) => v.initialLoss.targetProbability)),
    zTargetProbabilityAfter: mean(values.map((v) => v.finalLoss.targetProbability)),
    zUpdates: values.reduce((s, v) => s + v.updates, 0),
    layers: layerInfo,
  };
  return edits.outcome({ ...info });
}
