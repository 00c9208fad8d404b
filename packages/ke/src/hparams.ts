import { defineHparams, field } from '@llmedit/core';

/**
 * KnowledgeEditor's hyperparameters. Defaults are the paper's code (nicola-decao/KnowledgeEditor,
 * `src/models/bart_seq2seq_augmented_kilt.py`, its argparse defaults) where a key has a counterpart there,
 * else EasyEdit's `hparams/TRAINING/KE/gpt2-xl.yaml` (named in each comment); presets in
 * `hparams/<model>.json` are ours.
 */
export interface KeHparams {
  /** Blocks whose MLP output projection is edited (EasyEdit `inner_params`: the last 3 blocks). */
  layers: number[];
  /** Hidden width of the bi-LSTM and of each conditioned parameter's MLP (paper `hidden_dim`: 128). */
  hiddenSize: number;
  /** Width of the condition vector h the LSTM encoder outputs (paper `condition_dim`: 1024 for BART). */
  conditionSize: number;
  /** Bound on the update's scale: Δ = maxScale·σ(η)·(α̂ ⊙ ∇W + β̂) (paper `max_scale`: 1). */
  maxScale: number;
  /** Learning rate of the hypernetwork (paper `lr`: 3e-4). */
  learningRate: number;
  /** Learning rate of the Lagrange multiplier of the KL constraint (paper `lr_alpha`: 0.1). */
  multiplierLearningRate: number;
  /** Initial KL margin m of the constraint (paper `margin_kl_max`: 1e-3). */
  marginMax: number;
  /** Smallest margin: it shrinks by 0.8 after each validation whose edit success exceeds 0.9 (paper `margin_kl_min`: 1e-5). */
  marginMin: number;
  /** Global gradient-norm clip of the hypernetwork's gradient (EasyEdit `grad_clip`: 100). */
  clipNorm: number;
  /** Optimizer steps at most (paper `total_num_updates`: 200000). */
  steps: number;
  /** Edits whose gradients are accumulated per optimizer step, each edited on its own (EasyEdit `accumulate_bs`: 10). */
  editsPerStep: number;
  /** Unrelated sequences whose KL forms the constraint, per edit (paper: the other 63 inputs of a batch of 64). */
  localitySequences: number;
  /** Validate every this many steps. */
  validateEvery: number;
  /** Held-out training-split edits used for validation and keeping the best hypernetwork. */
  validationEdits: number;
  /** Stop after this many steps without a better validation loss (EasyEdit `early_stop_patience`: 20000). */
  patience: number;
  /** Tokens per edit, condition or locality sequence at most (paper `max_length`: 32). */
  maxLength: number;
  /** The training-split datasets the hypernetwork learns from. */
  trainingDatasets: ('zsre' | 'counterfact')[];
  /** Threads for the weights' gradient of the objective (data-parallel over the sequences of an edit). */
  threads: number;
}

export const keHparams = defineHparams<KeHparams>(
  {
    layers: [5, 6, 7],
    hiddenSize: 128,
    conditionSize: 1024,
    maxScale: 1,
    learningRate: 3e-4,
    multiplierLearningRate: 0.1,
    marginMax: 1e-3,
    marginMin: 1e-5,
    clipNorm: 100,
    steps: 200_000,
    editsPerStep: 10,
    localitySequences: 8,
    validateEvery: 1000,
    validationEdits: 100,
    patience: 20_000,
    maxLength: 32,
    trainingDatasets: ['zsre', 'counterfact'],
    threads: 1,
  },
  {
    layers: field.array(field.integer({ min: 0 }), { minLength: 1 }),
    hiddenSize: field.integer({ min: 1 }),
    conditionSize: field.integer({ min: 1 }),
    maxScale: field.number({ min: 0, exclusiveMin: true }),
    learningRate: field.number({ min: 0, exclusiveMin: true }),
    multiplierLearningRate: field.number({ min: 0 }),
    marginMax: field.number({ min: 0 }),
    marginMin: field.number({ min: 0 }),
    clipNorm: field.number({ min: 0 }),
    steps: field.integer({ min: 1 }),
    editsPerStep: field.integer({ min: 1 }),
    localitySequences: field.integer({ min: 1 }),
    validateEvery: field.integer({ min: 1 }),
    validationEdits: field.integer({ min: 1 }),
    patience: field.integer({ min: 1 }),
    maxLength: field.integer({ min: 2 }),
    trainingDatasets: field.array(field.oneOf(['zsre', 'counterfact'] as const), { minLength: 1 }),
    threads: field.integer({ min: 1 }),
  },
);
