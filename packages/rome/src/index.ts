export {
  type KeyMode,
  ROME_GPT2_XL_DEFAULTS,
  type RomeHparams,
  type RRomeHparams,
  romeHparams,
  rRomeHparams,
  rRomeKeyMode,
} from './hparams.js';
export { rome, rRome } from './method.js';
export {
  loadRomeYaml,
  type RomeFromFile,
  type RomeMethodId,
  type RomePresetName,
  readRomeYaml,
  romeFromEasyEdit,
  romePreset,
  romePresets,
} from './presets.js';
export { applyRome, type RomeInfo, type RomeLayerInfo } from './rome.js';
