import { defineHparams, field } from '@llmedit/core';

/** Where the meta-training edit loss L_e is computed after the edit (reference/easyedit.md section 4.10). */
export type MendEditLoss =
  /** EasyEdit's `EditTrainer`: the edit prompt itself (`edit_inner`). */
  | 'prompt'
  /** The MEND paper: an equivalent input x'_e (a rephrase), falling back to the prompt when a record has none. */
  | 'rephrase';

/**
 * MEND's hyperparameters. The defaults are EasyEdit's `hparams/MEND/gpt2-xl.yaml` values where a key has an
 * EasyEdit counterpart (named in each comment); the presets in `hparams/<model>.json` are ours.
 */
export interface MendHparams {
  /** Blocks whose MLP output projection is edited (EasyEdit `inner_params`: the last 3 blocks). */
  layers: number[];
  /** Rank of each low-rank residual block (EasyEdit `rank`: 1920). */
  rank: number;
  /** Residual blocks in the editor (EasyEdit `n_hidden + 1`: 2). */
  blocks: number;
  /** Initial per-layer step size η_l (EasyEdit `edit_lr`: 1e-4). */
  initialStepSize: number;
  /** Where the training edit loss is taken (see `MendEditLoss`). */
  editLoss: MendEditLoss;
  /** c_edit (EasyEdit `cedit`: 0.1). */
  editCoefficient: number;
  /** c_loc (EasyEdit `cloc`: 1.0). */
  localityCoefficient: number;
  /** Adam learning rate of the editor network (EasyEdit `lr`: 1e-6). */
  learningRate: number;
  /** Adam learning rate of the step sizes η (EasyEdit `lr_lr`: 1e-4). */
  stepSizeLearningRate: number;
  /** Global gradient-norm clip (EasyEdit `grad_clip`: 100). */
  clipNorm: number;
  /** Meta-training steps at most (EasyEdit `max_iters`: 100000). */
  steps: number;
  /** Edits per meta-training step (EasyEdit `batch_size` x `accumulate_bs`: 1 x 10). */
  batchSize: number;
  /** Validate every this many steps (EasyEdit `val_every`: 1000). */
  validateEvery: number;
  /** Held-out training-split edits used for validation and early stopping. */
  validationEdits: number;
  /** Stop after this many steps without a better validation loss (EasyEdit `early_stop_patience`: 20000). */
  patience: number;
  /** Tokens per edit or locality sequence at most (prompt first tokens dropped beyond it). */
  maxLength: number;
  /** The training-split datasets the editor learns from. */
  trainingDatasets: ('zsre' | 'counterfact')[];
  /** Threads for the meta-gradient (data-parallel over the edits of a step; 1 = this thread only). */
  threads: number;
}

export const mendHparams = defineHparams<MendHparams>(
  {
    layers: [5, 6, 7],
    rank: 1920,
    blocks: 2,
    initialStepSize: 1e-4,
    editLoss: 'prompt',
    editCoefficient: 0.1,
    localityCoefficient: 1,
    learningRate: 1e-6,
    stepSizeLearningRate: 1e-4,
    clipNorm: 100,
    steps: 100_000,
    batchSize: 10,
    validateEvery: 1000,
    validationEdits: 100,
    patience: 20_000,
    maxLength: 40,
    trainingDatasets: ['zsre', 'counterfact'],
    threads: 1,
  },
  {
    layers: field.array(field.integer({ min: 0 }), { minLength: 1 }),
    rank: field.integer({ min: 1 }),
    blocks: field.integer({ min: 1 }),
    initialStepSize: field.number({ min: 0, exclusiveMin: true }),
    editLoss: field.oneOf(['prompt', 'rephrase'] as const),
    editCoefficient: field.number({ min: 0 }),
    localityCoefficient: field.number({ min: 0 }),
    learningRate: field.number({ min: 0, exclusiveMin: true }),
    stepSizeLearningRate: field.number({ min: 0 }),
    clipNorm: field.number({ min: 0 }),
    steps: field.integer({ min: 1 }),
    batchSize: field.integer({ min: 1 }),
    validateEvery: field.integer({ min: 1 }),
    validationEdits: field.integer({ min: 1 }),
    patience: field.integer({ min: 1 }),
    maxLength: field.integer({ min: 2 }),
    trainingDatasets: field.array(field.oneOf(['zsre', 'counterfact'] as const), { minLength: 1 }),
    threads: field.integer({ min: 1 }),
  },
);
