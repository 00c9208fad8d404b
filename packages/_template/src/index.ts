export { editByGradientDescent } from './edit.js';
export { type TemplateHparams, templateHparams } from './hparams.js';
export { template } from './method.js';
export { type TemplatePresetName, templatePreset, templatePresets } from './presets.js';
