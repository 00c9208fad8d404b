export { MEMIT_GPT2_XL_DEFAULTS, type MemitHparams, memitHparams } from './hparams.js';
export { applyMemit, type MemitInfo, type MemitLayerInfo, memitSystem } from './memit.js';
export { memit } from './method.js';
export {
  loadMemitYaml,
  type MemitPresetName,
  memitFromEasyEdit,
  memitPreset,
  memitPresets,
  readMemitYaml,
} from './presets.js';
