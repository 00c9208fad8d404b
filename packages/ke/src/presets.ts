import defaultPreset from '../hparams/default.json' with { type: 'json' };
import microPreset from '../hparams/micro.json' with { type: 'json' };
import { type KeHparams, keHparams } from './hparams.js';

/** Per-model presets (ours; the defaults are the paper's and EasyEdit's values, see `KeHparams`). */
export const kePresets = { default: defaultPreset, micro: microPreset } as const;
export type KePresetName = keyof typeof kePresets;

/** The parsed hyperparameters of a preset. */
export function kePreset(name: KePresetName): KeHparams {
  return keHparams.parse(kePresets[name]);
}
