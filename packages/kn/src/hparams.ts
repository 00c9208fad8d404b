import { defineHparams, field, type HparamsSpec, InvalidHparamsError } from '@llmedit/core';

/**
 * Knowledge Neurons hyperparameters: EasyEdit's KN keys in camelCase (reference/easyedit.md section 4.9),
 * so `readEasyEditYaml(text).hparams` parses as is.
 */
export interface KnHparams {
  /** Riemann steps of the integrated gradients (EasyEdit `steps`). */
  steps: number;
  /** Scaled activations per batched forward/backward (EasyEdit `batch_size`). */
  batchSize: number;
  /** Coarse neurons score above this fraction of the largest attribution (EasyEdit `adaptive_threshold`). */
  adaptiveThreshold: number;
  /** Refine across the request's prompt and rephrases (EasyEdit `refine`; its configs turn it off). */
  refine: boolean;
  /** A refined neuron must be found for more than this share of the prompts (EasyEdit `p`). */
  p: number;
  /** Layers searched for neurons; absent: every layer (EasyEdit searches every layer). */
  layers?: number[];
  /** Keep at most this many neurons (highest attribution first); absent: all above the threshold. */
  maxNeurons?: number;
}

/** `kn-llmedit`'s hyperparameters: KN's, plus the multiple of the embedding move. */
export interface KnLlmeditHparams extends KnHparams {
  /** Multiple of (target embeddings - original prediction's embedding) added to each value slot. */
  editScale: number;
}

// EasyEdit KN keys that its KN code reads but does not use for the edit (`lr_scale`, `n_toks`), and the
// prompt budget this implementation does not need (`max_length`).
const ignoredKeys = ['lrScale', 'nToks', 'maxLength'] as const;

const fields = {
  steps: field.integer({ min: 1 }),
  batchSize: field.integer({ min: 1 }),
  adaptiveThreshold: field.number({ min: 0, max: 1 }),
  refine: field.boolean(),
  p: field.number({ min: 0, max: 1 }),
  layers: field.numberArray({ integer: true, min: 0, minLength: 1 }),
  maxNeurons: field.integer({ min: 1 }),
};

/** EasyEdit's KN defaults for GPT-2 XL (hparams/KN/gpt2-xl.yaml). */
const easyEditDefaults = { steps: 20, batchSize: 20, adaptiveThreshold: 0.2, refine: false, p: 0.4 };

/** `kn`: EasyEdit's GPT-2 XL values (hparams/KN/gpt2-xl.yaml); its edit rule has fixed factors. */
export const knHparams: HparamsSpec<KnHparams> = defineHparams<KnHparams>(easyEditDefaults, fields, {
  ignoredKeys,
});

/** `kn-llmedit`: the same search, and `editScale` 2 (the factor EasyEdit applies to single embeddings). */
export const knLlmeditHparams: HparamsSpec<KnLlmeditHparams> = defineHparams<KnLlmeditHparams>(
  { ...easyEditDefaults, editScale: 2 },
  { ...fields, editScale: field.number() },
  {
    ignoredKeys,
    refine(hparams) {
      if (hparams.editScale === 0) {
        throw new InvalidHparamsError('editScale', 'must not be 0 (the edit would change nothing)');
      }
    },
  },
);
