// The browser-safe entry: MEND editing with a loaded artifact (`loadMendArtifactFrom(url, model)` fetches one).
// Folders, the committed artifacts and training (file system, worker threads) are in node.ts, the package's
// `node` export condition and `@llmedit/mend/node`.
export {
  isMendArtifact,
  isMendArtifactRef,
  loadMendArtifactFrom,
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
} from './artifact-format.js';
export { type EditedWeight, type EditorShape, editedWeights, MendEditor, RunningNorm } from './editor.js';
export { type MendEditLoss, type MendHparams, mendHparams } from './hparams.js';
export {
  createMendMethod,
  MEND_ARTIFACT_NAMES,
  type MendArtifactName,
  type MendInfo,
  mend,
} from './method-core.js';
export { type MendPresetName, mendPreset, mendPresets } from './presets.js';
