export {
  type AttributionOptions,
  integratedGradients,
  integratedGradientsIds,
  type NeuronAttribution,
} from './attribution.js';
export { type KnHparams, knHparams } from './hparams.js';
export { type KnInfo, kn, knEdit } from './method.js';
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
export { type KnPresetName, knFromEasyEdit, knPreset, knPresets, loadKnYaml, readKnYaml } from './presets.js';
