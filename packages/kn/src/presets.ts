import { type EasyEditHparamsFile, type EasyEditReaders, easyEditReaders } from '@llmedit/core';
import defaultModel from '../hparams/default.json' with { type: 'json' };
import gptJ6b from '../hparams/gpt-j-6b.json' with { type: 'json' };
import gpt2Xl from '../hparams/gpt2-xl.json' with { type: 'json' };
import llama27b from '../hparams/llama-2-7b.json' with { type: 'json' };
import llama38b from '../hparams/llama-3-8b.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import mistral7b from '../hparams/mistral-7b.json' with { type: 'json' };
import { type KnHparams, type KnLlmeditHparams, knHparams, knLlmeditHparams } from './hparams.js';

/**
 * Per-model hyperparameter presets (`hparams/<model>.json`), one entry per method: `kn` is EasyEdit's
 * `hparams/KN/<checkpoint>.yaml` for the public checkpoints (`gpt-j-6b`, `llama-2-7b`, `llama-3-8b`,
 * `mistral-7b`; the README lists the file of each) and its gpt2-xl.yaml for `gpt2-xl`, `default` and `micro`
 * (every layer searched); `kn-llmedit` the values chosen for llmedit's rule (`gpt2-xl`: EasyEdit's values
 * with `editScale` 2, `default`: layer 2 of the default model, `micro`: the micro model's top layer; the
 * other checkpoints have none).
 */
export const knPresets = {
  'gpt2-xl': gpt2Xl,
  'gpt-j-6b': gptJ6b,
  'llama-2-7b': llama27b,
  'llama-3-8b': llama38b,
  'mistral-7b': mistral7b,
  default: defaultModel,
  micro,
} as const satisfies Record<
  string,
  {
    kn: Partial<Record<keyof KnHparams, unknown>>;
    'kn-llmedit'?: Partial<Record<keyof KnLlmeditHparams, unknown>>;
  }
>;

export type KnPresetName = keyof typeof knPresets;

/** The models with a `kn-llmedit` preset. */
export type KnLlmeditPresetName = {
  [K in KnPresetName]: (typeof knPresets)[K] extends { 'kn-llmedit': unknown } ? K : never;
}[KnPresetName];

/** The parsed `kn` hyperparameters of a preset (defaults filled in). */
export function knPreset(model: KnPresetName): KnHparams {
  return knHparams.parse(knPresets[model].kn);
}

/** The parsed `kn-llmedit` hyperparameters of a preset (defaults filled in). */
export function knLlmeditPreset(model: KnLlmeditPresetName): KnLlmeditHparams {
  return knLlmeditHparams.parse(knPresets[model]['kn-llmedit']);
}

const knYaml = easyEditReaders('KN', knHparams);

/** KN hyperparameters from an EasyEdit file read with `readEasyEditYaml` (`alg_name: KN`). */
export const knFromEasyEdit: (file: EasyEditHparamsFile) => KnHparams = knYaml.fromFile;

/** Read an EasyEdit KN YAML text (`hparams/KN/gpt2-xl.yaml`). */
export const readKnYaml: EasyEditReaders<KnHparams>['read'] = knYaml.read;

/** Load an EasyEdit KN YAML file. */
export const loadKnYaml: (path: string) => Promise<KnHparams> = knYaml.load;
