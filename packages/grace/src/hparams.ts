import { defineHparams, field } from '@llmedit/core';

/** Hyperparameters of GRACE (EasyEdit `hparams/GRACE/*.yaml`, reference/easyedit.md section 4.14). */
export interface GraceHparams {
  /** Layer whose FFN activation the codebook replaces (negative counts from the end). */
  layer: number;
  /** Initial deferral radius of a new key (EasyEdit `eps`). */
  epsInit: number;
  /** How a radius grows for a same-label query just outside it (EasyEdit `eps_expand`: only 'coverage'). */
  epsExpand: 'coverage';
  /** Adam steps on the value per edit (EasyEdit `n_iter`: 200 for GPT-2 XL and GPT-J, 50 for LLaMA). */
  nIter: number;
  /** Adam learning rate of the value (EasyEdit `edit_lr`: 1.0). */
  learningRate: number;
  /** Value initialisation: 'cold' uniform [0, 1) like EasyEdit's torch.rand, 'warm' the layer's own output. */
  valueInit: 'cold' | 'warm';
}

export const graceHparams = defineHparams<GraceHparams>(
  { layer: -3, epsInit: 1, epsExpand: 'coverage', nIter: 200, learningRate: 1, valueInit: 'cold' },
  {
    layer: field.integer(),
    epsInit: field.number({ min: 0 }),
    epsExpand: field.oneOf(['coverage']),
    nIter: field.integer({ min: 1 }),
    learningRate: field.number({ min: 0, exclusiveMin: true }),
    valueInit: field.oneOf(['cold', 'warm']),
  },
);
