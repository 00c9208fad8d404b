import defaultModel from '../hparams/default.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type GraceHparams, graceHparams } from './hparams.js';

/**
 * Per-model presets (`hparams/<model>.json`): `default` is EasyEdit's GPT-2 XL configuration (eps 1.0, 200
 * Adam steps at lr 1.0, cold values) at the same relative depth (layer 35 of 48 -> layer 5 of 8), not tuned;
 * `micro` a fast setting for the 2-layer test model.
 */
export const gracePresets = { default: defaultModel, micro } as const satisfies Record<
  string,
  Partial<GraceHparams>
>;

export type GracePresetName = keyof typeof gracePresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function gracePreset(model: GracePresetName): GraceHparams {
  return graceHparams.parse(gracePresets[model]);
}
