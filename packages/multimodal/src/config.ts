// The vision-language model's configuration, read and written in Hugging Face's LLaVA `config.json` layout
// (`model_type: "llava"` with `vision_config` in CLIP's vision layout and `text_config` for the language model).
import { CheckpointError } from '@llmedit/core';
import { type ModelConfig, parseHfConfig, toHfConfig } from '@llmedit/models';

/** A CLIP-layout vision tower: patch embedding, a class token, pre-norm blocks (`vision_config`). */
export interface VisionConfig {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly numChannels: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly layerNormEpsilon: number;
}

export interface VlmConfig {
  readonly vision: VisionConfig;
  readonly text: ModelConfig;
  /**
   * The tokenizer id that stands for one image position in the token sequence. Its embedding row is replaced
   * by the projected image feature, so any id works; LLaVA adds a dedicated `<image>` token.
   */
  readonly imageTokenIndex: number;
  /**
   * Which vision block's output feeds the projector, Python-style (-1 = the last block, LLaVA uses -2). Our
   * small towers are trained for -1.
   */
  readonly visionFeatureLayer: number;
  /** 'default' drops the class token (LLaVA), 'full' keeps it. */
  readonly visionFeatureSelectStrategy: 'default' | 'full';
}

/**
 * A tiny tower (four image tokens, two 16-wide blocks) over `text`, for tests of code that takes a VLM (with
 * `createRandomVlm`); `imageSize` 64 reads the procedural scenes.
 */
export function tinyVlmConfig(text: ModelConfig, imageSize = 16): VlmConfig {
  return {
    vision: {
      imageSize,
      patchSize: imageSize / 2,
      numChannels: 3,
      hiddenSize: 16,
      intermediateSize: 32,
      numLayers: 2,
      numHeads: 2,
      layerNormEpsilon: 1e-5,
    },
    text,
    imageTokenIndex: 1,
    visionFeatureLayer: -1,
    visionFeatureSelectStrategy: 'default',
  };
}

/** Number of patches of one image (the class token excluded). */
export function numPatches(vision: VisionConfig): number {
  return (vision.imageSize / vision.patchSize) ** 2;
}

/** Number of image positions the language model sees for one image. */
export function numImageTokens(config: VlmConfig): number {
  return numPatches(config.vision) + (config.visionFeatureSelectStrategy === 'full' ? 1 : 0);
}

type Json = Record<string, unknown>;

export function checkVlmConfig(config: VlmConfig, source = 'config'): void {
  const v = config.vision;
  const fail = (message: string) => {
    throw new CheckpointError(source, message);
  };
  for (const key of [
    'imageSize',
    'patchSize',
    'numChannels',
    'hiddenSize',
    'intermediateSize',
    'numLayers',
    'numHeads',
  ] as const) {
    if (!Number.isInteger(v[key]) || v[key] <= 0)
      fail(`vision_config: ${key} must be a positive integer, got ${v[key]}`);
  }
  if (v.imageSize % v.patchSize !== 0)
    fail(`vision_config: image_size ${v.imageSize} is not a multiple of patch_size ${v.patchSize}`);
  if (v.hiddenSize % v.numHeads !== 0)
    fail(`vision_config: hidden_size ${v.hiddenSize} is not a multiple of num_attention_heads ${v.numHeads}`);
  const layer = config.visionFeatureLayer;
  if (!Number.isInteger(layer) || layer === 0 || layer < -v.numLayers || layer > v.numLayers) {
    fail(`vision_feature_layer ${layer} is not a block of a ${v.numLayers}-block tower (1..n or -n..-1)`);
  }
  if (
    !Number.isInteger(config.imageTokenIndex) ||
    config.imageTokenIndex < 0 ||
    config.imageTokenIndex >= config.text.vocabSize
  ) {
    fail(
      `image_token_index ${config.imageTokenIndex} is outside the vocabulary [0, ${config.text.vocabSize})`,
    );
  }
  if (numImageTokens(config) >= config.text.maxPositions) {
    fail(
      `one image takes ${numImageTokens(config)} positions, the language model has ${config.text.maxPositions}`,
    );
  }
}

const int = (source: Json, key: string, where: string): number => {
  const value = source[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new CheckpointError(
      'config.json',
      `${where}.${key} must be an integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
};

/** Parse a LLaVA `config.json` object. */
export function parseVlmConfig(input: unknown): VlmConfig {
  if (typeof input !== 'object' || input === null)
    throw new CheckpointError('config.json', 'must hold a JSON object');
  const raw = input as Json;
  if (raw.model_type !== 'llava') {
    throw new CheckpointError(
      'config.json',
      `model_type must be "llava", got ${JSON.stringify(raw.model_type)}`,
    );
  }
  const vision = raw.vision_config as Json | undefined;
  if (typeof vision !== 'object' || vision === null)
    throw new CheckpointError('config.json', 'vision_config is missing');
  if (vision.hidden_act !== undefined && vision.hidden_act !== 'quick_gelu') {
    throw new CheckpointError(
      'config.json',
      `vision_config.hidden_act ${JSON.stringify(vision.hidden_act)} is not supported (quick_gelu)`,
    );
  }
  if (raw.projector_hidden_act !== undefined && raw.projector_hidden_act !== 'gelu_pytorch_tanh') {
    throw new CheckpointError(
      'config.json',
      `projector_hidden_act ${JSON.stringify(raw.projector_hidden_act)} is not supported (gelu_pytorch_tanh)`,
    );
  }
  const strategy = raw.vision_feature_select_strategy ?? 'default';
  if (strategy !== 'default' && strategy !== 'full') {
    throw new CheckpointError(
      'config.json',
      `vision_feature_select_strategy ${JSON.stringify(strategy)} is not 'default' or 'full'`,
    );
  }
  const config: VlmConfig = {
    vision: {
      imageSize: int(vision, 'image_size', 'vision_config'),
      patchSize: int(vision, 'patch_size', 'vision_config'),
      numChannels: typeof vision.num_channels === 'number' ? vision.num_channels : 3,
      hiddenSize: int(vision, 'hidden_size', 'vision_config'),
      intermediateSize: int(vision, 'intermediate_size', 'vision_config'),
      numLayers: int(vision, 'num_hidden_layers', 'vision_config'),
      numHeads: int(vision, 'num_attention_heads', 'vision_config'),
      layerNormEpsilon: typeof vision.layer_norm_eps === 'number' ? vision.layer_norm_eps : 1e-5,
    },
    text: parseHfConfig(raw.text_config),
    imageTokenIndex: int(raw, 'image_token_index', 'config'),
    visionFeatureLayer: typeof raw.vision_feature_layer === 'number' ? raw.vision_feature_layer : -2,
    visionFeatureSelectStrategy: strategy,
  };
  checkVlmConfig(config, 'config.json');
  return config;
}

/** The LLaVA `config.json` object for a configuration. */
export function toVlmHfConfig(config: VlmConfig): Json {
  const v = config.vision;
  return {
    architectures: ['LlavaForConditionalGeneration'],
    model_type: 'llava',
    image_token_index: config.imageTokenIndex,
    projector_hidden_act: 'gelu_pytorch_tanh',
    vision_feature_layer: config.visionFeatureLayer,
    vision_feature_select_strategy: config.visionFeatureSelectStrategy,
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_act: 'quick_gelu',
      image_size: v.imageSize,
      patch_size: v.patchSize,
      num_channels: v.numChannels,
      hidden_size: v.hiddenSize,
      intermediate_size: v.intermediateSize,
      num_hidden_layers: v.numLayers,
      num_attention_heads: v.numHeads,
      layer_norm_eps: v.layerNormEpsilon,
    },
    text_config: toHfConfig(config.text),
  };
}
