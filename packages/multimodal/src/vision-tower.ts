// CLIP's vision transformer (Radford et al. 2021, Sec. 2.4; Dosovitskiy et al. 2021, Eq. 1-4) and LLaVA's
// two-layer MLP projector (Liu et al. 2023, Sec. 4.1), under Hugging Face's LLaVA weight names.
import { type Tensor, type Tensor1D, type Tensor2D, type Tensor3D, tf } from '@llmedit/core';
import { geluTanh, type HostTensor, layerNorm, type WeightSpec, weightsFromSpecs } from '@llmedit/models';
import { numPatches, type VisionConfig, type VlmConfig } from './config.js';

const VISION = 'vision_tower.vision_model';
const PROJECTOR = 'multi_modal_projector';
const block = (layer: number) => `${VISION}.encoder.layers.${layer}`;

// CLIP's and LLaVA's matrices and embeddings start as N(0, 0.02^2) in our random towers; norms as 1 and 0.
const NORMAL = { kind: 'normal', std: 0.02 } as const;
const ONES = { kind: 'ones' } as const;
const ZEROS = { kind: 'zeros' } as const;

/** Every vision-tower and projector weight, in LLaVA's names (the language model's are `language_model.*`). */
export function visionWeightSpecs(config: VlmConfig): WeightSpec[] {
  const v = config.vision;
  const d = v.hiddenSize;
  const textD = config.text.hiddenSize;
  const norm = (name: string): WeightSpec[] => [
    { name: `${name}.weight`, shape: [d], init: ONES },
    { name: `${name}.bias`, shape: [d], init: ZEROS },
  ];
  const linear = (name: string, out: number, input: number): WeightSpec[] => [
    { name: `${name}.weight`, shape: [out, input], init: NORMAL },
    { name: `${name}.bias`, shape: [out], init: ZEROS },
  ];
  const specs: WeightSpec[] = [
    { name: `${VISION}.embeddings.class_embedding`, shape: [d], init: NORMAL },
    {
      name: `${VISION}.embeddings.patch_embedding.weight`,
      shape: [d, v.numChannels, v.patchSize, v.patchSize],
      init: NORMAL,
    },
    { name: `${VISION}.embeddings.position_embedding.weight`, shape: [numPatches(v) + 1, d], init: NORMAL },
    ...norm(`${VISION}.pre_layrnorm`),
  ];
  for (let l = 0; l < v.numLayers; l++) {
    const b = block(l);
    specs.push(
      ...linear(`${b}.self_attn.q_proj`, d, d),
      ...linear(`${b}.self_attn.k_proj`, d, d),
      ...linear(`${b}.self_attn.v_proj`, d, d),
      ...linear(`${b}.self_attn.out_proj`, d, d),
      ...norm(`${b}.layer_norm1`),
      ...linear(`${b}.mlp.fc1`, v.intermediateSize, d),
      ...linear(`${b}.mlp.fc2`, d, v.intermediateSize),
      ...norm(`${b}.layer_norm2`),
    );
  }
  // Present in every CLIP checkpoint; LLaVA reads hidden states before it, so the forward never uses it.
  specs.push(...norm(`${VISION}.post_layernorm`));
  specs.push(...linear(`${PROJECTOR}.linear_1`, textD, d), ...linear(`${PROJECTOR}.linear_2`, textD, textD));
  return specs;
}

/** Seeded random vision and projector weights (std 0.02 for matrices and embeddings). */
export function randomVisionWeights(config: VlmConfig, seed: number): Map<string, HostTensor> {
  return weightsFromSpecs(visionWeightSpecs(config), seed);
}

/** Vision-side hook keys: `vision.residual.{l}`, `vision.mlpKey.{l}` (fc1 after its activation), `projector.out`. */
export type VisionHookKey = `vision.residual.${number}` | `vision.mlpKey.${number}` | 'projector.out';

/** Replace or capture a vision-side activation [images, tokens, width]. */
export interface VisionHook {
  key: VisionHookKey;
  capture?: boolean;
  replace?: (activation: Tensor3D) => Tensor3D;
}

/** The projector's first and second matrices and the tower's blocks, for methods that edit the vision side. */
export const visionWeightNames = {
  projector: [
    `${PROJECTOR}.linear_1.weight`,
    `${PROJECTOR}.linear_1.bias`,
    `${PROJECTOR}.linear_2.weight`,
    `${PROJECTOR}.linear_2.bias`,
  ],
  block: (layer: number): string[] =>
    [
      'self_attn.q_proj',
      'self_attn.k_proj',
      'self_attn.v_proj',
      'self_attn.out_proj',
      'layer_norm1',
      'mlp.fc1',
      'mlp.fc2',
      'layer_norm2',
    ].flatMap((part) => [`${block(layer)}.${part}.weight`, `${block(layer)}.${part}.bias`]),
} as const;

/**
 * Cut HWC images into flattened patches [images, patches, channels * p * p] in the order (channel, row, column)
 * of a PyTorch conv weight [out, channels, p, p], so the patch embedding is one matrix product. Pixels are
 * normalised CLIP-style to [-1, 1] (mean 0.5, std 0.5 per channel).
 */
export function patchify(images: readonly Float32Array[], vision: VisionConfig): Float32Array {
  const { imageSize: size, patchSize: p, numChannels: c } = vision;
  const grid = size / p;
  const perPatch = c * p * p;
  const out = new Float32Array(images.length * grid * grid * perPatch);
  let o = 0;
  for (const pixels of images) {
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++) {
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < p; y++) {
            const row = (gy * p + y) * size;
            for (let x = 0; x < p; x++) out[o++] = (pixels[(row + gx * p + x) * c + ch]! - 0.5) / 0.5;
          }
        }
      }
    }
  }
  return out;
}

const quickGelu = (x: Tensor2D): Tensor2D => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) as Tensor2D;

/**
 * Image features as the language model receives them: [images, imageTokens, textHidden]. `patches` comes
 * from `patchify`. Differentiable w.r.t. the vision and projector weights. Runs in the caller's scope.
 */
export function imageFeatures(
  config: VlmConfig,
  get: (name: string) => Tensor,
  patches: Tensor2D,
  imageCount: number,
  hooks: readonly VisionHook[] = [],
  captured: Record<string, Tensor3D> = {},
): Tensor3D {
  const v = config.vision;
  const d = v.hiddenSize;
  const n = numPatches(v);
  const tokens = n + 1;
  const w2 = (name: string) => get(name) as Tensor2D;
  const w1 = (name: string) => get(name) as Tensor1D;
  const linear = (x: Tensor2D, name: string) =>
    tf.add(tf.matMul(x, w2(`${name}.weight`), false, true), w1(`${name}.bias`)) as Tensor2D;
  const norm = (x: Tensor2D, name: string) =>
    layerNorm(x, w1(`${name}.weight`), w1(`${name}.bias`), v.layerNormEpsilon);
  const applyHooks = (key: string, x: Tensor2D, rows: number): Tensor2D => {
    let x3 = tf.reshape(x, [imageCount, rows, x.shape[1]]) as Tensor3D;
    for (const hook of hooks) {
      if (hook.key !== key) continue;
      if (hook.replace !== undefined) x3 = hook.replace(x3);
      if (hook.capture === true) captured[key] = x3;
    }
    return tf.reshape(x3, [imageCount * rows, x.shape[1]]) as Tensor2D;
  };

  const patchWeight = tf.reshape(get(`${VISION}.embeddings.patch_embedding.weight`), [
    d,
    v.numChannels * v.patchSize ** 2,
  ]);
  const embedded = tf.reshape(tf.matMul(patches, patchWeight as Tensor2D, false, true), [imageCount, n, d]);
  const cls = tf.tile(tf.reshape(get(`${VISION}.embeddings.class_embedding`), [1, 1, d]), [imageCount, 1, 1]);
  const withPositions = tf.add(
    tf.concat([cls, embedded], 1),
    get(`${VISION}.embeddings.position_embedding.weight`),
  );
  let x = norm(tf.reshape(withPositions, [imageCount * tokens, d]) as Tensor2D, `${VISION}.pre_layrnorm`);

  const featureLayer =
    config.visionFeatureLayer < 0 ? v.numLayers + 1 + config.visionFeatureLayer : config.visionFeatureLayer;
  const heads = v.numHeads;
  const headSize = d / heads;
  for (let l = 0; l < featureLayer; l++) {
    const b = block(l);
    const h = norm(x, `${b}.layer_norm1`);
    const split = (t: Tensor2D) =>
      tf.transpose(tf.reshape(t, [imageCount, tokens, heads, headSize]), [0, 2, 1, 3]);
    const q = split(linear(h, `${b}.self_attn.q_proj`));
    const k = split(linear(h, `${b}.self_attn.k_proj`));
    const value = split(linear(h, `${b}.self_attn.v_proj`));
    // Every patch attends to every patch: no mask in a vision encoder.
    const weights = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headSize)));
    const attended = tf.reshape(tf.transpose(tf.matMul(weights, value), [0, 2, 1, 3]), [
      imageCount * tokens,
      d,
    ]) as Tensor2D;
    x = tf.add(x, linear(attended, `${b}.self_attn.out_proj`)) as Tensor2D;
    const key = applyHooks(
      `vision.mlpKey.${l}`,
      quickGelu(linear(norm(x, `${b}.layer_norm2`), `${b}.mlp.fc1`)),
      tokens,
    );
    x = applyHooks(`vision.residual.${l}`, tf.add(x, linear(key, `${b}.mlp.fc2`)) as Tensor2D, tokens);
  }

  let features = tf.reshape(x, [imageCount, tokens, d]) as Tensor3D;
  if (config.visionFeatureSelectStrategy === 'default')
    features = tf.slice(features, [0, 1, 0], [-1, -1, -1]);
  const kept = features.shape[1];
  const flat = tf.reshape(features, [imageCount * kept, d]) as Tensor2D;
  const projected = linear(geluTanh(linear(flat, `${PROJECTOR}.linear_1`)), `${PROJECTOR}.linear_2`);
  return tf.reshape(applyHooks('projector.out', projected, kept), [
    imageCount,
    kept,
    config.text.hiddenSize,
  ]) as Tensor3D;
}
