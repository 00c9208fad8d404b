export { type TPatcherHparams, tPatcherHparams } from './hparams.js';
export { computeQueries, memoryPrompts, memoryQueries } from './memory.js';
export { patchLayer, type TPatcherInfo, tPatcher } from './method.js';
export { type TPatcherPresetName, tPatcherPreset, tPatcherPresets } from './presets.js';
