export {
  isSeracArtifact,
  isSeracArtifactRef,
  loadSeracArtifact,
  readSeracArtifactConfig,
  SERAC_ARTIFACT_FORMAT,
  SERAC_ARTIFACT_VERSION,
  type SeracArtifact,
  type SeracArtifactConfig,
  SeracArtifactError,
  type SeracArtifactRef,
  type SeracTrainingReport,
  saveSeracArtifact,
  seracArtifact,
} from './artifact.js';
export {
  type CounterfactualExample,
  type CounterfactualSampling,
  counterfactualExamples,
  editStatement,
  trainCounterfactual,
} from './counterfactual.js';
export { classifierTokens, type TokenFeatures, textFeatures } from './features.js';
export { type SeracHparams, seracHparams } from './hparams.js';
export {
  createSeracMethod,
  defaultArtifactDir,
  SERAC_ARTIFACT_NAMES,
  type SeracArtifactName,
  type SeracInfo,
  type SeracMethodOptions,
  serac,
  seracArtifactRef,
  seracCopy,
} from './method.js';
export { type SeracPresetName, seracPreset, seracPresets } from './presets.js';
export {
  type ProjectedText,
  projectText,
  type ScopeClassifierWeights,
  type ScopePair,
  scopeProbability,
  trainScopeClassifier,
} from './scope-classifier.js';
export {
  createSeracModel,
  prepareEdits,
  type SeracEdit,
  type SeracMixture,
  type SeracRoute,
  seracBaseOf,
  seracRoutes,
} from './serac-model.js';
export { answerAccuracy, scopePairs, scopeRates, trainSerac } from './train.js';
