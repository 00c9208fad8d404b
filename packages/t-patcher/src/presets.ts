import defaultModel from '../hparams/default.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type TPatcherHparams, tPatcherHparams } from './hparams.js';

/**
 * Per-model presets (`hparams/<model>.json`): `default` is the paper's configuration as the defaults hold it
 * (documented in the README, not tuned on our default model); `micro` is a faster setting for the 2-layer
 * test model (higher learning rate, fewer steps, a smaller memory set).
 */
export const tPatcherPresets = { default: defaultModel, micro } as const satisfies Record<
  string,
  Partial<TPatcherHparams>
>;

export type TPatcherPresetName = keyof typeof tPatcherPresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function tPatcherPreset(model: TPatcherPresetName): TPatcherHparams {
  return tPatcherHparams.parse(tPatcherPresets[model]);
}
