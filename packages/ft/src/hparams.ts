import { defineHparams, field, type HparamsSpec, InvalidHparamsError } from '@llmedit/core';

/** The loss FT optimises (EasyEdit `objective_optimization`). */
export type FtObjective = 'prompt_last' | 'target_new';

/**
 * Fine-tuning hyperparameters: EasyEdit's FT keys in camelCase (reference/easyedit.md section 4.1), so
 * `readEasyEditYaml(text).hparams` parses as is.
 */
export interface FtHparams {
  /** Blocks whose rewrite module (by default the MLP output projection, weight and bias) is trained. */
  layers: number[];
  /** Epochs over the requests (EasyEdit `num_steps`). */
  numSteps: number;
  /** Requests per optimiser step. */
  batchSize: number;
  /** Token budget per sequence; longer prompts keep their last tokens (see README). */
  maxLength: number;
  /** Adam learning rate. */
  lr: number;
  /** Adam's L2 weight decay (added to the gradient, as torch.optim.Adam does). */
  weightDecay: number;
  /** L-infinity radius around the original weights, enforced after every step; false for none. */
  normConstraint: number | false;
  /** 'prompt_last' is FT-L, 'target_new' is FT-M. */
  objectiveOptimization: FtObjective;
  /**
   * Module name template with '{}' for the layer (EasyEdit `rewrite_module_tmp`, e.g.
   * 'transformer.h.{}.mlp.c_proj'): every weight of that module is trained. Absent: the model layout's
   * MLP output projection.
   */
  rewriteModuleTmp?: string;
  /** A step is skipped when its loss is below this, and training stops when an epoch's mean is (EasyEdit: 1e-2). */
  lossThreshold: number;
}

// Keys of EasyEdit FT files that locate modules our model layout already knows, or that its FT ignores
// (kl_factor is read but never used by ft_main.py).
const ignoredKeys = [
  'layerModuleTmp',
  'mlpModuleTmp',
  'attnModuleTmp',
  'lnFModule',
  'lmHeadModule',
  'klFactor',
] as const;

const fields = {
  layers: field.numberArray({ integer: true, min: 0, minLength: 1 }),
  numSteps: field.integer({ min: 1 }),
  batchSize: field.integer({ min: 1 }),
  maxLength: field.integer({ min: 2 }),
  lr: field.number({ min: 0, exclusiveMin: true }),
  weightDecay: field.number({ min: 0 }),
  normConstraint: field.union(field.number({ min: 0, exclusiveMin: true }), field.oneOf([false] as const)),
  objectiveOptimization: field.oneOf(['prompt_last', 'target_new'] as const),
  rewriteModuleTmp: field.string({ nonEmpty: true }),
  lossThreshold: field.number({ min: 0 }),
};

/** EasyEdit's FT defaults for GPT-2 XL (hparams/FT/gpt2-xl.yaml), which the presets tune per model. */
const easyEditDefaults = {
  layers: [0],
  numSteps: 25,
  batchSize: 3,
  maxLength: 40,
  lr: 5e-4,
  weightDecay: 0,
  normConstraint: 5e-4,
  lossThreshold: 1e-2,
} as const;

function specFor(objective: FtObjective, methodId: string, other: string): HparamsSpec<FtHparams> {
  return defineHparams<FtHparams>(
    { ...easyEditDefaults, layers: [...easyEditDefaults.layers], objectiveOptimization: objective },
    fields,
    {
      ignoredKeys,
      refine(hparams) {
        if (hparams.objectiveOptimization !== objective) {
          throw new InvalidHparamsError(
            'objectiveOptimization',
            `'${methodId}' optimises '${objective}'; '${hparams.objectiveOptimization}' is '${other}' ` +
              '(or use ftFromEasyEdit, which picks the method from the file)',
          );
        }
        const template = hparams.rewriteModuleTmp;
        if (template !== undefined && !template.includes('{}')) {
          throw new InvalidHparamsError(
            'rewriteModuleTmp',
            `must contain '{}' for the layer, got '${template}'`,
          );
        }
      },
    },
  );
}

/** FT-L hyperparameters (objective 'prompt_last'). */
export const ftLHparams: HparamsSpec<FtHparams> = specFor('prompt_last', 'ft-l', 'ft-m');
/** FT-M hyperparameters (objective 'target_new'). */
export const ftMHparams: HparamsSpec<FtHparams> = specFor('target_new', 'ft-m', 'ft-l');
