// The browser-safe entry: SERAC editing with a loaded artifact (`loadSeracArtifactFrom(url)` fetches one), the
// scope classifier and the SERAC model view. Folders, committed artifacts and training (file system, worker
// threads) are in node.ts, the package's `node` export condition and `@llmedit/serac/node`.
export {
  checkSeracArtifactConfig,
  isSeracArtifact,
  isSeracArtifactRef,
  type LoadSeracArtifactFromOptions,
  loadSeracArtifactFrom,
  SERAC_ARTIFACT_FILES,
  SERAC_ARTIFACT_FORMAT,
  SERAC_ARTIFACT_VERSION,
  type SeracArtifact,
  type SeracArtifactConfig,
  SeracArtifactError,
  type SeracArtifactRef,
  type SeracTrainingReport,
  seracArtifact,
  seracClassifierFromTensors,
} from './artifact-format.js';
export {
  type CopyProposal,
  type CopyWeights,
  copyProposal,
  editAnswerIds,
  editStatement,
  mixCopy,
} from './copy.js';
export { classifierTokens, type TokenFeatures, textFeatures } from './features.js';
export { type SeracHparams, seracHparams } from './hparams.js';
export {
  createSeracMethod,
  SERAC_ARTIFACT_NAMES,
  type SeracArtifactName,
  type SeracInfo,
  type SeracMethodOptions,
  serac,
  seracCopy,
} from './method-core.js';
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
