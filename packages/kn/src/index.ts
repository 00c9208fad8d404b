export {
  type AlphaGrid,
  type AnswerContext,
  type AnswerSpacing,
  type AttributionOptions,
  type AttributionSite,
  alphaGrid,
  encodeAnswer,
  integratedGradients,
  integratedGradientsIds,
  type NeuronAttribution,
} from './attribution.js';
export { type KnHparams, type KnLlmeditHparams, knHparams, knLlmeditHparams } from './hparams.js';
export { greedyIds, type KnInfo, type KnProtocol, kn, knEdit, knLlmedit } from './method.js';
export {
  coarseNeurons,
  type FindNeuronsOptions,
  findKnowledgeNeurons,
  type KnowledgeNeurons,
  type Neuron,
  refineNeurons,
  type ScoredNeuron,
} from './neurons.js';
export {
  amplifyNeurons,
  eraseNeurons,
  type NeuronPatch,
  neuronHooks,
  type RewriteOptions,
  rewriteNeurons,
  suppressNeurons,
  targetProbability,
  tokenEmbeddingName,
} from './operations.js';
export {
  type KnLlmeditPresetName,
  type KnPresetName,
  knFromEasyEdit,
  knLlmeditPreset,
  knPreset,
  knPresets,
  loadKnYaml,
  readKnYaml,
} from './presets.js';
