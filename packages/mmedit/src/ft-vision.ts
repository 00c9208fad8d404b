// FT-Vision: MMEdit's "FT (visual part)" baseline (Cheng et al. 2023, section 4.1), which fine-tunes the
// vision side of the VLM instead of the language model. Here: Adam on the projector and/or chosen vision
// blocks, minimising the NLL of the target tokens after image + prompt (`vlm.forward`, prompt masked), with an
// optional L-infinity clamp around the original weights, as FT-L/FT-M do for the language model.
import {
  defineEditMethod,
  defineHparams,
  type EditOutcome,
  field,
  type HparamsSpec,
  InvalidHparamsError,
  tf,
} from '@llmedit/core';
import { buildExample, type FtExample, ftLoss, trainWeights } from '@llmedit/ft';
import type { VisionLanguageModel } from '@llmedit/multimodal';
import { describeRequest, requireImages, vlmBaseOf } from './adapter.js';
import { imageView, withCurrentImage } from './image-view.js';

export interface FtVisionHparams {
  /** Train the projector (`multi_modal_projector.*`, both linear layers). */
  projector: boolean;
  /**
   * Vision encoder blocks to train (every weight of `vision_tower.vision_model.encoder.layers.{l}`).
   * Negative values count back from the block whose output the projector reads (-1: that block), since
   * blocks after `visionFeatureLayer` do not feed the features and would get no gradient.
   */
  visionLayers: number[];
  /** Epochs over the requests (every epoch is one Adam step per request). */
  numSteps: number;
  /** Adam learning rate. */
  lr: number;
  /** L2 weight decay added to the gradient (torch.optim.Adam's `weight_decay`). */
  weightDecay: number;
  /** L-infinity radius around the original weights, enforced after every step; false for none. */
  normConstraint: number | false;
  /** Training stops once an epoch's mean loss is below this. */
  lossThreshold: number;
  /** Token budget of prompt + target (the image positions come on top, within the model's positions). */
  maxLength: number;
}

export const ftVisionHparams: HparamsSpec<FtVisionHparams> = defineHparams<FtVisionHparams>(
  {
    projector: true,
    visionLayers: [],
    numSteps: 10,
    lr: 1e-3,
    weightDecay: 0,
    normConstraint: false,
    lossThreshold: 1e-2,
    maxLength: 40,
  },
  {
    projector: field.boolean(),
    visionLayers: field.numberArray({ integer: true }),
    numSteps: field.integer({ min: 1 }),
    lr: field.number({ min: 0, exclusiveMin: true }),
    weightDecay: field.number({ min: 0 }),
    normConstraint: field.union(field.number({ min: 0, exclusiveMin: true }), field.oneOf([false] as const)),
    lossThreshold: field.number({ min: 0 }),
    maxLength: field.integer({ min: 2 }),
  },
  {
    refine(hparams) {
      if (!hparams.projector && hparams.visionLayers.length === 0) {
        throw new InvalidHparamsError('visionLayers', 'is empty and projector is false: nothing to train');
      }
    },
  },
);

/** How many vision blocks feed the projector (hidden state k is the output of block k - 1; 0 the embeddings). */
function featureBlocks(vlm: VisionLanguageModel): number {
  const layer = vlm.config.visionFeatureLayer;
  return layer > 0 ? layer : vlm.config.vision.numLayers + 1 + layer;
}

/** The weights FT-Vision trains, in the VLM's order. */
export function ftVisionWeightNames(vlm: VisionLanguageModel, hparams: FtVisionHparams): string[] {
  const blocks = featureBlocks(vlm);
  const prefixes: string[] = hparams.projector ? ['multi_modal_projector.'] : [];
  for (const [index, layer] of hparams.visionLayers.entries()) {
    const block = layer < 0 ? blocks + layer : layer;
    if (block < 0 || block >= blocks) {
      throw new InvalidHparamsError(
        `visionLayers[${index}]`,
        `block ${layer} does not feed the image features (blocks 0..${blocks - 1}, or -1..-${blocks} from the feature block)`,
      );
    }
    prefixes.push(`vision_tower.vision_model.encoder.layers.${block}.`);
  }
  return vlm.visionWeightNames().filter((name) => prefixes.some((prefix) => name.startsWith(prefix)));
}

/** Diagnostics of one FT-Vision edit (JSON-serialisable). */
export interface FtVisionInfo {
  readonly trainedWeights: readonly string[];
  readonly epochLosses: readonly number[];
  readonly maxAbsDelta: number;
}

export const ftVision = defineEditMethod<FtVisionHparams, VisionLanguageModel>({
  specificationVersion: 'v1',
  id: 'ft-vision',
  displayName: 'FT-Vision (fine-tuning the projector / vision blocks)',
  paper:
    'Cheng et al. 2023, Can We Edit Multimodal Large Language Models? (FT visual part), arXiv:2310.08475',
  capabilities: {
    // Each request is read with its own image; their losses are averaged in one step.
    batch: true,
    // A later run starts from the current (edited) vision weights.
    sequential: true,
    multimodal: true,
    requiresTraining: false,
    modifiesWeights: true,
  },
  hparams: ftVisionHparams,
  async doEdit(context, model, requests, hparams): Promise<EditOutcome<VisionLanguageModel>> {
    const vlm = vlmBaseOf(model);
    const images = requireImages(vlm, requests);
    const names = ftVisionWeightNames(vlm, hparams);
    const view = imageView(vlm);
    // Text budget: the image positions take `imageTokens` of the language model's positions.
    const budget = Math.min(hparams.maxLength, view.config.maxPositions - vlm.imageTokens);
    const examples: FtExample[] = requests.map((request, i) =>
      buildExample(view, request, 'target_new', budget, describeRequest(request, i)),
    );
    // One batch per epoch: the mean over requests of the target NLL after each request's own image + prompt.
    const batch = {
      loss: () =>
        tf.tidy(() => {
          const parts = examples.map((example, i) =>
            withCurrentImage(vlm, images[i], () => ftLoss(view, [example], 'target_new')),
          );
          return tf.div(tf.addN(parts), parts.length).asScalar();
        }),
      size: examples.length,
    };
    return trainWeights(context, vlm, names, [batch], { ...hparams, label: 'FT-Vision' }, (stats) => {
      const info: FtVisionInfo = {
        trainedWeights: names,
        epochLosses: stats.epochLosses,
        maxAbsDelta: stats.maxAbsDelta,
      };
      return { ...info, images };
    });
  },
});
