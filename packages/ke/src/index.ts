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
  loadKeArtifact,
  readKeArtifactConfig,
  saveKeArtifact,
} from './artifact.js';
export { type EditedWeight, editedWeights, KeEditor, type KeEditorShape } from './editor.js';
export { conditionIds, editGradients } from './gradient.js';
export { type KeHparams, keHparams } from './hparams.js';
export {
  createKeMethod,
  KE_ARTIFACT_NAMES,
  type KeArtifactName,
  type KeInfo,
  type KeMethodOptions,
  ke,
  keArtifactRef,
  releaseKeArtifacts,
} from './method.js';
export { type KePresetName, kePreset, kePresets } from './presets.js';
export { type KeTrainingContext, trainKe, validateKeEditor } from './train.js';
