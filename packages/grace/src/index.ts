export {
  applyUpdateRule,
  type Codebook,
  type CodebookAction,
  type CodebookEntry,
  nearest,
  replaceWithinRadius,
} from './codebook.js';
export { type GraceHparams, graceHparams } from './hparams.js';
export { createGraceModel, type GraceInfo, grace, graceCodebook, graceLayer } from './method.js';
export { type GracePresetName, gracePreset, gracePresets } from './presets.js';
