export { type TemplateHparams, templateHparams } from './hparams.js';
export { template } from './method.js';
