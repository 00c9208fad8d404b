import { createRng, initBackend, randomNormalArray } from '@llmedit/core';
import type { Gpt2Config, LlamaConfig } from '../src/config.js';
import { weightSpecs } from '../src/create.js';
import type { HostTensor } from '../src/weights.js';

export const tinyGpt2: Gpt2Config = {
  architecture: 'gpt2',
  vocabSize: 53,
  maxPositions: 40,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 64,
  layerNormEpsilon: 1e-5,
  eosTokenId: 52,
};

export const tinyLlama: LlamaConfig = {
  architecture: 'llama',
  vocabSize: 53,
  maxPositions: 40,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKeyValueHeads: 2,
  headDim: 8,
  intermediateSize: 48,
  rmsNormEpsilon: 1e-6,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  bosTokenId: 1,
  eosTokenId: 2,
};

/**
 * Weights where every tensor (norm gains and biases included) is random, so that a wrong bias, gain or
 * layout cannot hide behind an all-zeros or all-ones initialisation.
 */
export function noisyWeights(config: Gpt2Config | LlamaConfig, seed: number): Map<string, HostTensor> {
  const rng = createRng(seed);
  const out = new Map<string, HostTensor>();
  for (const spec of weightSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = randomNormalArray(rng, size, spec.init.kind === 'normal' ? 0.15 : 0.1);
    if (spec.init.kind === 'ones') for (let i = 0; i < size; i++) data[i]! += 1;
    out.set(spec.name, { shape: spec.shape, data });
  }
  return out;
}

export function randomIds(seed: number, length: number, vocab: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length }, () => rng.int(vocab));
}

export async function useWasm(): Promise<void> {
  await initBackend({ prefer: ['wasm'] });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
