export {
  isMendArtifact,
  isMendArtifactRef,
  loadMendArtifact,
  MEND_ARTIFACT_FORMAT,
  MEND_ARTIFACT_VERSION,
  type MendArtifact,
  type MendArtifactConfig,
  MendArtifactError,
  type MendArtifactRef,
  MendModelMismatchError,
  type MendTrainingReport,
  type MendValidation,
  mendArtifact,
  readMendArtifactConfig,
  saveMendArtifact,
} from './artifact.js';
export { type EditedWeight, type EditorShape, editedWeights, MendEditor, RunningNorm } from './editor.js';
export { type MendEditLoss, type MendHparams, mendHparams } from './hparams.js';
export {
  createMendMethod,
  MEND_ARTIFACT_NAMES,
  type MendArtifactName,
  type MendInfo,
  type MendMethodOptions,
  mend,
  mendArtifactRef,
  releaseMendArtifacts,
} from './method.js';
export { type MendPresetName, mendPreset, mendPresets } from './presets.js';
export { type MendTrainingContext, trainMend, validateEditor } from './train.js';
