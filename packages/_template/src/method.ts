import { defineEditMethod } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { editByGradientDescent } from './edit.js';
import { type TemplateHparams, templateHparams } from './hparams.js';

/**
 * The method object: an id, honest capabilities, the hparams spec and `doEdit`. Core's `edit()` parses
 * the hparams, checks the capabilities, snapshots the weights and restores them when `doEdit` throws.
 */
export const template = defineEditMethod<TemplateHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'template',
  displayName: 'Template',
  paper: 'Meng et al. 2022, Locating and Editing Factual Associations in GPT (FT baseline), arXiv:2202.05262',
  capabilities: {
    batch: true,
    // A later edit starts from the current (edited) weights and restores to them.
    sequential: true,
    multimodal: false,
    requiresTraining: false,
    modifiesWeights: true,
  },
  hparams: templateHparams,
  doEdit: editByGradientDescent,
});
