import type { CausalLM, HostTensor } from '@llmedit/models';
import type { VlmConfig } from './config.js';
import { randomVisionWeights } from './vision-tower.js';
import { type ImageResolver, LANGUAGE_MODEL_PREFIX, VisionLanguageModel } from './vlm.js';

export interface CreateVlmOptions {
  /** Seed of the random vision and projector weights (default 0). */
  seed?: number;
  resolveImage?: ImageResolver;
}

/** A VLM with a seeded random vision tower and projector over an existing language model. */
export function createRandomVlm(
  config: VlmConfig,
  languageModel: CausalLM,
  options: CreateVlmOptions = {},
): VisionLanguageModel {
  return new VisionLanguageModel(
    config,
    languageModel,
    randomVisionWeights(config, options.seed ?? 0),
    options.resolveImage,
  );
}

/** Split LLaVA-named weights into the language model's (prefix removed) and the vision side's. */
export function splitVlmWeights(weights: Map<string, HostTensor>): {
  text: Map<string, HostTensor>;
  vision: Map<string, HostTensor>;
} {
  const text = new Map<string, HostTensor>();
  const vision = new Map<string, HostTensor>();
  for (const [name, host] of weights) {
    if (name.startsWith(LANGUAGE_MODEL_PREFIX)) text.set(name.slice(LANGUAGE_MODEL_PREFIX.length), host);
    else vision.set(name, host);
  }
  return { text, vision };
}
