// FT-L and FT-M (reference/easyedit.md section 4.1; FT-L is the constrained fine-tuning baseline of
// Meng et al. 2022, "Locating and Editing Factual Associations in GPT", section 4 and appendix).
import { defineEditMethod } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { fineTune } from './fine-tune.js';
import { type FtHparams, ftLHparams, ftMHparams } from './hparams.js';

const capabilities = {
  // Several requests train together, in chunks of `batchSize`.
  batch: true,
  // A later FT run starts from the current (edited) weights; its clamp is around those.
  sequential: true,
  multimodal: false,
  requiresTraining: false,
  modifiesWeights: true,
} as const;

/**
 * FT-L: fine-tune the chosen layers' MLP output projections so that every target token is likely at the
 * last prompt position, within an L-infinity ball around the original weights.
 *
 * @example
 * const result = await edit({ method: ftL, model, requests: [{ prompt: 'The Eiffel Tower is in', targetNew: 'Rome' }],
 *   hparams: ftPreset('ft-l', 'micro') });
 */
export const ftL = defineEditMethod<FtHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'ft-l',
  displayName: 'FT-L (constrained fine-tuning, last prompt position)',
  paper: 'Meng et al. 2022, Locating and Editing Factual Associations in GPT (FT baseline), arXiv:2202.05262',
  capabilities,
  hparams: ftLHparams,
  doEdit: fineTune,
});

/**
 * FT-M: fine-tune the chosen layers' MLP output projections with the causal-LM loss on the target tokens
 * only (the prompt is masked), as EasyEdit's `objective_optimization: target_new`.
 */
export const ftM = defineEditMethod<FtHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'ft-m',
  displayName: 'FT-M (fine-tuning, masked causal-LM loss on the target)',
  paper:
    'Zhang et al. 2024, A Comprehensive Study of Knowledge Editing for Large Language Models, arXiv:2401.01286',
  capabilities,
  hparams: ftMHparams,
  doEdit: fineTune,
});
