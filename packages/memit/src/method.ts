import { defineEditMethod } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { type MemitHparams, memitHparams } from './hparams.js';
import { applyMemit } from './memit.js';

/**
 * MEMIT: edit one to thousands of facts in one call by spreading each fact's residual-stream target over
 * several MLP layers, each updated in closed form with the covariance prior (lambda C + K K^T)^-1.
 *
 * @example
 * const result = await edit({ method: memit, model, requests, mode: 'batch', hparams: memitPreset('default') });
 */
export const memit = defineEditMethod<MemitHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'memit',
  displayName: 'MEMIT (mass-editing memory in a transformer)',
  paper: 'Meng et al. 2023, Mass-Editing Memory in a Transformer, arXiv:2210.07229',
  capabilities: {
    batch: true,
    sequential: true,
    multimodal: false,
    requiresTraining: false,
    modifiesWeights: true,
  },
  hparams: memitHparams,
  doEdit: applyMemit,
});
