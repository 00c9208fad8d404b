import defaultPreset from '../hparams/default.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type SeracHparams, seracHparams } from './hparams.js';

/** Per-model presets (`hparams/<model>.json`): the settings each committed artifact was trained with. */
export const seracPresets = { default: defaultPreset, micro } as const satisfies Record<
  string,
  Partial<Record<keyof SeracHparams, unknown>>
>;

export type SeracPresetName = keyof typeof seracPresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function seracPreset(model: SeracPresetName): SeracHparams {
  return seracHparams.parse(seracPresets[model]);
}
