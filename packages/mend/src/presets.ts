import defaultPreset from '../hparams/default.json' with { type: 'json' };
import microPreset from '../hparams/micro.json' with { type: 'json' };
import { type MendHparams, mendHparams } from './hparams.js';

/** Per-model presets (ours; the defaults are EasyEdit's gpt2-xl values). */
export const mendPresets = { default: defaultPreset, micro: microPreset } as const;
export type MendPresetName = keyof typeof mendPresets;

/** The parsed hyperparameters of a preset. */
export function mendPreset(name: MendPresetName): MendHparams {
  return mendHparams.parse(mendPresets[name]);
}
