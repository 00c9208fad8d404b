// TEMPLATE: name the paper and the equation this file implements here, e.g.
// "ROME (Meng et al. 2022), eq. 2: rank-one update W' = W + (v* - W k*) (C^-1 k*)^T / ((C^-1 k*)^T k*)".
import { defineEditMethod, LlmeditError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { type TemplateHparams, templateHparams } from './hparams.js';

/**
 * The method object. Copy this package, rename `template` everywhere, declare honest capabilities and
 * implement `doEdit`: compute the deltas, apply them with `model.setWeight`, and return an outcome whose
 * `restore()` puts the exact old weights back (core's `edit()` also snapshots, so a throw is always safe).
 */
export const template = defineEditMethod<TemplateHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'template',
  displayName: 'Template (copy me)',
  capabilities: {
    batch: false,
    sequential: false,
    multimodal: false,
    requiresTraining: false,
    modifiesWeights: true,
  },
  hparams: templateHparams,
  async doEdit() {
    throw new LlmeditError(
      'NOT_IMPLEMENTED',
      'The template method has no edit: copy the package and implement doEdit',
    );
  },
});
