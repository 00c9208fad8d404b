import defaultModel from '../hparams/default.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type CalinetHparams, calinetHparams } from './hparams.js';

/**
 * Per-model hyperparameter presets (`hparams/<model>.json`), keyed like the bench's models: `micro` (the
 * test model) and `default` (the model `pnpm bench` edits).
 */
export const calinetPresets = { micro, default: defaultModel } as const satisfies Record<
  string,
  Partial<CalinetHparams>
>;

export type CalinetPresetName = keyof typeof calinetPresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function calinetPreset(model: CalinetPresetName): CalinetHparams {
  return calinetHparams.parse(calinetPresets[model]);
}
