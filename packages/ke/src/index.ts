// The browser-safe entry: KE editing with a loaded artifact (`loadKeArtifactFrom(url, model)` fetches one).
// Folders, the committed artifacts and training (file system, worker threads) are in node.ts, the package's
// `node` export condition and `@llmedit/ke/node`.
export {
  isKeArtifact,
  isKeArtifactRef,
  KE_ARTIFACT_FORMAT,
  KE_ARTIFACT_VERSION,
  type KeArtifact,
  type KeArtifactConfig,
  KeArtifactError,
  type KeArtifactRef,
  KeModelMismatchError,
  type KeTrainingReport,
  type KeValidation,
  keArtifact,
  loadKeArtifactFrom,
} from './artifact-format.js';
export { type EditedWeight, editedWeights, KeEditor, type KeEditorShape } from './editor.js';
export { conditionIds, editGradients } from './gradient.js';
export { type KeHparams, keHparams } from './hparams.js';
export {
  createKeMethod,
  KE_ARTIFACT_NAMES,
  type KeArtifactName,
  type KeInfo,
  ke,
} from './method-core.js';
export { type KePresetName, kePreset, kePresets } from './presets.js';
