import { defineHparams, field } from '@llmedit/core';

/**
 * CaliNet's hyperparameters. Defaults are the paper's code (dqxiu/CaliNet,
 * `train_calinet/bash/t5_train_kb_f.sh`: `ex_size` 64, `kb_layer` 11 of T5-base's 12, `learning_rate` 1e-2).
 */
export interface CalinetHparams {
  /** The FFN the calibration memory is added beside (negative: from the end; the paper's `kb_layer`: the last). */
  layer: number;
  /** Calibration memory slots (FFN neurons) added per edit call (the paper's `ex_size`: 64). */
  slots: number;
  /** Step size of the slots' optimiser (the paper's `learning_rate`: 1e-2, constant schedule). */
  learningRate: number;
  /** Optimiser steps on the edit loss (all requests of the call together). */
  steps: number;
}

export const calinetHparams = defineHparams<CalinetHparams>(
  { layer: -1, slots: 64, learningRate: 1e-2, steps: 50 },
  {
    layer: field.integer(),
    slots: field.integer({ min: 1 }),
    learningRate: field.number({ min: 0, exclusiveMin: true }),
    steps: field.integer({ min: 1 }),
  },
);
