import { defineHparams, field } from '@llmedit/core';

/** Hyperparameters of the method (camelCase; EasyEdit YAML keys convert with `readEasyEditYaml`). */
export interface TemplateHparams {
  /** Layers the method edits. */
  layers: number[];
  learningRate: number;
  steps: number;
}

export const templateHparams = defineHparams<TemplateHparams>(
  { layers: [1], learningRate: 0.5, steps: 20 },
  {
    layers: field.array(field.integer({ min: 0 }), { minLength: 1 }),
    learningRate: field.number({ min: 0, exclusiveMin: true }),
    steps: field.integer({ min: 1 }),
  },
);
