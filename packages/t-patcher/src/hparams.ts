import { defineHparams, field } from '@llmedit/core';

/** Hyperparameters of Transformer-Patcher (Huang et al. 2023, section 3 and its appendix). */
export interface TPatcherHparams {
  /** FFN layer that receives the patches; negative counts from the end (-1: the last layer, the paper's). */
  layer: number;
  /**
   * 'token': one neuron per target token, fired at the position that predicts it (the paper's patching of
   * generation tasks, appendix A "multiple neuron patching"); 'edit': one neuron per edit, fired at every
   * target position (the paper's one-mistake-one-neuron classification setting).
   */
  neuronsPer: 'token' | 'edit';
  /** Adam learning rate of the patch's key, bias and value. */
  learningRate: number;
  /** Most optimisation steps; training stops earlier once the edit holds and every margin is met. */
  maxSteps: number;
  /** Weight a of the activation loss (L = L_edit + a l_a + m l_m). */
  activationWeight: number;
  /** Weight m of the memory loss. */
  memoryWeight: number;
  /** Margin alpha: the patch's pre-activation on the edit input must reach it (activation loss). */
  activationMargin: number;
  /** Threshold beta: the pre-activation on every memory input must stay below it (memory loss l_m1). */
  memoryThreshold: number;
  /** Margin gamma: memory pre-activations stay this far below the edit's (memory loss l_m2). */
  memoryMargin: number;
  /** Inputs of the memory set: prompts sampled (seeded) from the ZsRE training split. */
  memorySize: number;
  /** Earlier live patches' edit queries join the memory set, so a new patch stays off on earlier edits. */
  rememberEdits: boolean;
}

export const tPatcherHparams = defineHparams<TPatcherHparams>(
  {
    layer: -1,
    neuronsPer: 'token',
    learningRate: 0.01,
    maxSteps: 100,
    activationWeight: 1,
    memoryWeight: 10,
    activationMargin: 0,
    memoryThreshold: -3,
    memoryMargin: 3,
    memorySize: 1000,
    rememberEdits: true,
  },
  {
    layer: field.integer(),
    neuronsPer: field.oneOf(['token', 'edit']),
    learningRate: field.number({ min: 0, exclusiveMin: true }),
    maxSteps: field.integer({ min: 1 }),
    activationWeight: field.number({ min: 0 }),
    memoryWeight: field.number({ min: 0 }),
    activationMargin: field.number(),
    memoryThreshold: field.number(),
    memoryMargin: field.number({ min: 0 }),
    memorySize: field.integer({ min: 0 }),
    rememberEdits: field.boolean(),
  },
);
