import { defineHparams, field } from '@llmedit/core';

/** Hyperparameters of the method (camelCase; EasyEdit YAML keys convert with `readEasyEditYaml`). */
export interface TemplateHparams {
  /** The layer whose MLP output projection the edit trains. */
  layer: number;
  /** Gradient-descent step size. */
  learningRate: number;
  /** Gradient steps; the edit stops earlier once the target is the prediction. */
  steps: number;
}

export const templateHparams = defineHparams<TemplateHparams>(
  { layer: 1, learningRate: 0.05, steps: 20 },
  {
    layer: field.integer({ min: 0 }),
    learningRate: field.number({ min: 0, exclusiveMin: true }),
    steps: field.integer({ min: 1 }),
  },
);
