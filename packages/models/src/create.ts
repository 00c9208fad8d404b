import { CheckpointError, createRng, randomNormalArray, ShapeMismatchError } from '@llmedit/core';
import { gpt2WeightSpecs, normalizeGpt2WeightName } from './architectures/gpt2.js';
import { llamaWeightSpecs, normalizeLlamaWeightName } from './architectures/llama.js';
import type { WeightSpec } from './architectures/types.js';
import { CausalLM } from './causal-lm.js';
import { checkConfig, type ModelConfig } from './config.js';
import type { Tokenizer } from './tokenizer/index.js';
import { type HostTensor, hashWeights } from './weights.js';

export function weightSpecs(config: ModelConfig): WeightSpec[] {
  return config.architecture === 'gpt2' ? gpt2WeightSpecs(config) : llamaWeightSpecs(config);
}

/** Seeded random weights with the architecture's usual initialisation (for tests, benchmarks, training). */
export function randomWeights(config: ModelConfig, seed: number): Map<string, HostTensor> {
  return weightsFromSpecs(weightSpecs(config), seed);
}

/** Seeded weights drawn as each spec says (normal with its std, ones, zeros), in the specs' order. */
export function weightsFromSpecs(specs: readonly WeightSpec[], seed: number): Map<string, HostTensor> {
  const rng = createRng(seed);
  const out = new Map<string, HostTensor>();
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data =
      spec.init.kind === 'normal'
        ? randomNormalArray(rng, size, spec.init.std)
        : new Float32Array(size).fill(spec.init.kind === 'ones' ? 1 : 0);
    out.set(spec.name, { shape: spec.shape, data });
  }
  return out;
}

/**
 * Check checkpoint weights against the architecture: map checkpoint names to canonical Hugging Face names,
 * drop buffers that are not weights, and reject missing, unexpected or mis-shaped tensors.
 */
export function canonicalWeights(
  config: ModelConfig,
  weights: Map<string, HostTensor>,
  source: string,
): Map<string, HostTensor> {
  const specs = new Map(weightSpecs(config).map((s) => [s.name, s]));
  const out = new Map<string, HostTensor>();
  for (const [rawName, tensor] of weights) {
    const name =
      config.architecture === 'gpt2'
        ? normalizeGpt2WeightName(rawName)
        : normalizeLlamaWeightName(rawName, config);
    if (name === undefined) continue;
    const spec = specs.get(name);
    if (spec === undefined) {
      throw new CheckpointError(
        source,
        `unexpected tensor for a ${config.architecture} model with this config.json`,
        rawName,
      );
    }
    if (spec.shape.length !== tensor.shape.length || spec.shape.some((d, i) => d !== tensor.shape[i])) {
      throw new ShapeMismatchError(`${source}: tensor '${rawName}'`, spec.shape, tensor.shape);
    }
    out.set(name, tensor);
  }
  const missing = [...specs.keys()].filter((name) => !out.has(name));
  if (missing.length > 0) {
    throw new CheckpointError(
      source,
      `missing ${missing.length} tensor(s), e.g. '${missing.slice(0, 3).join("', '")}'`,
      missing[0],
    );
  }
  return out;
}

/** Build a model from host weights (validated), computing its content hash. */
export function createModel(
  config: ModelConfig,
  weights: Map<string, HostTensor>,
  tokenizer?: Tokenizer,
  source = 'weights',
): CausalLM {
  checkConfig(config);
  // A larger tokenizer produces ids the embedding has no row for (an untyped gather error at first use);
  // a smaller one is fine (checkpoints often pad the vocabulary).
  if (tokenizer !== undefined && tokenizer.vocabSize > config.vocabSize) {
    throw new CheckpointError(
      source,
      `the tokenizer has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocabSize}; ` +
        'the tokenizer files do not belong to this model',
    );
  }
  const canonical = canonicalWeights(config, weights, source);
  return new CausalLM(config, canonical, tokenizer, hashWeights(canonical));
}

/** A seeded random model (the same seed gives bit-identical weights). */
export function createRandomModel(
  config: ModelConfig,
  options: { seed?: number; tokenizer?: Tokenizer } = {},
): CausalLM {
  return createModel(config, randomWeights(config, options.seed ?? 0), options.tokenizer, 'random');
}
