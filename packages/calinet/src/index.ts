export { type CalinetHparams, calinetHparams } from './hparams.js';
export { type CalinetInfo, calinet } from './method.js';
export { type CalinetPresetName, calinetPreset, calinetPresets } from './presets.js';
