// The browser-safe entry: no Node built-in is imported from here. Node resolves the package to `node.ts`,
// which adds loading and saving model folders on disk.
export { AddedNeurons, type AddedNeuronsInit } from './added-neurons.js';
export { geluTanh, layerNorm } from './architectures/gpt2.js';
export type { ArchitectureOps, WeightInit, WeightSpec } from './architectures/types.js';
export { attentionBias, positionIds, type TokenBatch } from './attention-mask.js';
export { chunkByTokens, type PaddingSide, padBatch } from './batching.js';
export {
  CausalLM,
  type ForwardOptions,
  type ForwardResult,
  type Hook,
  KvCache,
  type LogitsSelection,
} from './causal-lm.js';
export * from './checkpoint/index.js';
export {
  type Gpt2Config,
  type LlamaConfig,
  type ModelConfig,
  parseHfConfig,
  resolveLayer,
  toHfConfig,
} from './config.js';
export {
  canonicalWeights,
  createModel,
  createRandomModel,
  randomWeights,
  weightSpecs,
  weightsFromSpecs,
} from './create.js';
export { type GenerateOptions, type Generation, generate, generateIds, sampleTopK } from './generate.js';
export {
  createLayout,
  type HookLocation,
  type HookPoint,
  type ModelLayout,
  type WeightLocation,
} from './layout.js';
export {
  type FetchLike,
  fetchOptional,
  fetchRequired,
  fileUrl,
  type LoadModelFromOptions,
  loadModelFrom,
} from './load-url.js';
export {
  encodeTargetPair,
  type IdPair,
  type ScoreOptions,
  scoreIdPairs,
  scoreTargets,
  type TargetScore,
} from './score.js';
export { pickedTokenNll } from './token-nll.js';
export * from './tokenizer/index.js';
export { type HostTensor, hashWeights, WeightStore } from './weights.js';
