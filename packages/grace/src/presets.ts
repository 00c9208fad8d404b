import defaultModel from '../hparams/default.json' with { type: 'json' };
import gptJ6b from '../hparams/gpt-j-6b.json' with { type: 'json' };
import gpt2Xl from '../hparams/gpt2-xl.json' with { type: 'json' };
import llama27b from '../hparams/llama-2-7b.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type GraceHparams, graceHparams } from './hparams.js';

/**
 * Per-model presets (`hparams/<model>.json`): `gpt2-xl`, `gpt-j-6b` and `llama-2-7b` are EasyEdit's
 * `hparams/GRACE/*.yaml` (the `inner_params` layer as `layer`; the README lists the file of each);
 * `default` is EasyEdit's GPT-2 XL configuration (eps 1.0, 200 Adam steps at lr 1.0, cold values) at the same
 * relative depth (layer 35 of 48 -> layer 5 of 8), not tuned; `micro` a fast setting for the 2-layer test model.
 */
export const gracePresets = {
  'gpt2-xl': gpt2Xl,
  'gpt-j-6b': gptJ6b,
  'llama-2-7b': llama27b,
  default: defaultModel,
  micro,
} as const satisfies Record<string, Partial<Record<keyof GraceHparams, unknown>>>;

export type GracePresetName = keyof typeof gracePresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function gracePreset(model: GracePresetName): GraceHparams {
  return graceHparams.parse(gracePresets[model]);
}
