import { defineEditMethod } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { type RomeHparams, type RRomeHparams, romeHparams, rRomeHparams, rRomeKeyMode } from './hparams.js';
import { applyRome } from './rome.js';

const capabilities = {
  // One fact per call, as the reference implementation (EasyEdit uses requests[0]); MEMIT is the batch method.
  batch: false,
  // Edits can be stacked; ROME degrades after many (see README).
  sequential: true,
  multimodal: false,
  requiresTraining: false,
  modifiesWeights: true,
  maxBatchSize: 1,
} as const;

/**
 * ROME: locate the fact's key at the subject's last token in an MLP layer, optimise the value that makes
 * the model say the new target, and write it with a rank-one update of the MLP output projection.
 *
 * @example
 * const result = await edit({ method: rome, model, hparams: romePreset('default'),
 *   requests: [{ prompt: 'The Eiffel Tower is in', subject: 'The Eiffel Tower', targetNew: 'Rome' }] });
 */
export const rome = defineEditMethod<RomeHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'rome',
  displayName: 'ROME (rank-one model editing)',
  paper: 'Meng et al. 2022, Locating and Editing Factual Associations in GPT, arXiv:2202.05262',
  capabilities,
  hparams: romeHparams,
  doEdit: (context, model, requests, hparams) => applyRome(context, model, requests, hparams, 'original'),
});

/**
 * R-ROME: ROME with the key used consistently in the update (by default the template-averaged key and
 * value everywhere), which removes the tiny denominators that make ROME collapse a model.
 */
export const rRome = defineEditMethod<RRomeHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'r-rome',
  displayName: 'R-ROME (ROME with consistent keys)',
  paper:
    'Gupta et al. 2024, Rebuilding ROME: Resolving Model Collapse during Sequential Model Editing, arXiv:2403.07175',
  capabilities,
  hparams: rRomeHparams,
  doEdit: (context, model, requests, hparams) =>
    applyRome(context, model, requests, hparams, rRomeKeyMode(hparams)),
});
