// ROME's rank-one update (Meng et al. 2022, "Locating and Editing Factual Associations in GPT", eq. 2):
//   W' = W + Lambda (C^-1 k*)^T,  Lambda = (v* - W k*) / ((C^-1 k*)^T k*)
// written, as the reference implementation does, with u = C^-1 k / ||C^-1 k|| and
// right = (v* - m) / (k . u), so that W' maps the key k to v* exactly (C = I without mom2Adjustment).
// R-ROME (Gupta et al. 2024, "Rebuilding ROME", arXiv:2403.07175) uses one key consistently.
import { type EditContext, type EditOutcome, type EditRequest, InvalidHparamsError, tf } from '@llmedit/core';
import {
  atBarePrompt,
  averageOverTemplates,
  contextTemplates,
  layerStats,
  optimizeValues,
  prepareRequests,
  secondMomentFactor,
  type ValueResult,
  WeightEdits,
} from '@llmedit/locate';
import type { CausalLM } from '@llmedit/models';
import type { KeyMode, RomeHparams } from './hparams.js';

/** Diagnostics of one layer's update (JSON-serialisable). */
export interface RomeLayerInfo {
  readonly layer: number;
  readonly weight: string;
  /** k . u: small values mean a large update (R-ROME's collapse diagnosis). */
  readonly denominator: number;
  /** ||v* - m||: the change the update makes at the key. */
  readonly valueChange: number;
  /** Frobenius norm of the update (= ||u|| ||right|| = ||right||). */
  readonly updateNorm: number;
  readonly vUpdates: number;
  readonly targetProbabilityBefore: number;
  readonly targetProbabilityAfter: number;
  readonly finalLoss: number;
}

export interface RomeInfo {
  readonly keyMode: KeyMode;
  readonly mom2Adjustment: boolean;
  readonly contextTemplates: number;
  readonly layers: readonly RomeLayerInfo[];
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** One layer's rank-one factors in math convention: delta W[in, out] = u right^T. */
interface RankOne {
  readonly u: Float64Array;
  readonly right: Float64Array;
  readonly info: RomeLayerInfo;
}

async function layerUpdate(
  context: EditContext,
  model: CausalLM,
  request: EditRequest,
  hparams: RomeHparams,
  layer: number,
  keyMode: KeyMode,
): Promise<RankOne> {
  const templates = contextTemplates(model, hparams.contextTemplateLengthParams, context.seed);
  const [prepared] = prepareRequests(model, [request], templates, hparams.factToken);
  if (prepared === undefined) throw new InvalidHparamsError('layers', 'no request to edit');
  const keyPoint = model.layout.mlpKey(layer);
  const outPoint = model.layout.mlpOut(layer);
  const averaged = averageOverTemplates(model, [prepared], [keyPoint, outPoint], 'flat');
  const bare = atBarePrompt(model, [prepared], [keyPoint, outPoint]);
  const keyAveraged = averaged.get(keyPoint.key) as Float64Array;
  const keyBare = bare.get(keyPoint.key) as Float32Array;

  // u: the (C^-1-whitened) key direction.
  const keyForU = keyMode === 'prompt' ? Float64Array.from(keyBare) : keyAveraged;
  let u: Float64Array = keyForU;
  if (hparams.mom2Adjustment) {
    const stats = (
      await layerStats(model, [layer], {
        samples: hparams.mom2NSamples,
        dataset: hparams.mom2Dataset,
        // The first pass over the corpus takes a while (half a minute on the default model): say how far it is.
        onProgress: (done, total) =>
          context.onProgress?.({ stage: 'layer statistics', fraction: done / total }),
        ...(hparams.statsDir !== undefined ? { cacheDir: hparams.statsDir } : {}),
      })
    ).get(layer);
    if (stats === undefined) throw new InvalidHparamsError('layers', `no statistics for layer ${layer}`);
    u = secondMomentFactor(stats).solve(keyForU);
  }
  const uNorm = norm(u);
  u = u.map((value) => value / uNorm);

  context.signal?.throwIfAborted();
  const [value] = optimizeValues(model, [prepared.value], {
    layer,
    at: 'mlpOut',
    steps: hparams.vNumGradSteps,
    lr: hparams.vLr,
    weightDecay: hparams.vWeightDecay,
    clampNormFactor: hparams.clampNormFactor,
    klFactor: hparams.klFactor,
    ...(context.signal !== undefined ? { signal: context.signal } : {}),
    onStep: (step) =>
      context.onProgress?.({ stage: `v* step ${step + 1}`, fraction: (step + 1) / hparams.vNumGradSteps }),
  });
  const v = value as ValueResult;

  // right = (v* - m) / (k . u), with the key (and current value m) of the chosen mode.
  let change: Float64Array;
  let denominator: number;
  if (keyMode === 'averaged') {
    const outAveraged = averaged.get(outPoint.key) as Float64Array;
    change = Float64Array.from(v.target, (target, j) => target - (outAveraged[j] as number));
    denominator = dot(keyAveraged, u);
  } else {
    // v* = v0 + delta with v0 the bare prompt's current value, so v* - m = delta.
    change = Float64Array.from(v.delta);
    denominator = dot(keyBare, u);
  }
  const right = change.map((c) => c / denominator);
  return {
    u,
    right,
    info: {
      layer,
      weight: model.layout.mlpOutProjection(layer).name,
      denominator,
      valueChange: norm(change),
      updateNorm: norm(right),
      vUpdates: v.updates,
      targetProbabilityBefore: v.initialLoss.targetProbability,
      targetProbabilityAfter: v.finalLoss.targetProbability,
      finalLoss: v.finalLoss.total,
    },
  };
}

/**
 * Edit one fact with ROME: for each layer in `hparams.layers`, compute the rank-one update on the
 * unedited model, then apply them all. The outcome restores every weight bit for bit.
 */
export async function applyRome(
  context: EditContext,
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: RomeHparams,
  keyMode: KeyMode,
): Promise<EditOutcome<CausalLM>> {
  const request = requests[0];
  if (request === undefined) throw new InvalidHparamsError('requests', 'ROME needs one request');
  for (const [i, layer] of hparams.layers.entries()) {
    if (layer >= model.config.numLayers) {
      throw new InvalidHparamsError(
        `layers[${i}]`,
        `layer ${layer} does not exist (the model has ${model.config.numLayers} layers)`,
      );
    }
  }
  const updates: RankOne[] = [];
  for (const layer of [...hparams.layers].sort((a, b) => a - b)) {
    updates.push(await layerUpdate(context, model, request, hparams, layer, keyMode));
  }
  const edits = new WeightEdits(model);
  try {
    for (const { u, right, info } of updates) {
      const delta = tf.tidy(() =>
        tf.outerProduct(tf.tensor1d(Float32Array.from(u)), tf.tensor1d(Float32Array.from(right))),
      );
      try {
        edits.addInOut(model.layout.mlpOutProjection(info.layer), delta);
      } finally {
        delta.dispose();
      }
    }
  } catch (error) {
    edits.restoreAndDispose();
    throw error;
  }
  const info: RomeInfo = {
    keyMode,
    mom2Adjustment: hparams.mom2Adjustment,
    contextTemplates: contextTemplates(model, hparams.contextTemplateLengthParams, context.seed).flat()
      .length,
    layers: updates.map((update) => update.info),
  };
  return edits.outcome({ ...info });
}
