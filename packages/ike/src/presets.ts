import { type EasyEditHparamsFile, type EasyEditReaders, easyEditReaders } from '@llmedit/core';
import defaultPreset from '../hparams/default.json' with { type: 'json' };
import gptJ6b from '../hparams/gpt-j-6b.json' with { type: 'json' };
import gpt2Xl from '../hparams/gpt2-xl.json' with { type: 'json' };
import llama27b from '../hparams/llama-2-7b.json' with { type: 'json' };
import llama38b from '../hparams/llama-3-8b.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import mistral7b from '../hparams/mistral-7b.json' with { type: 'json' };
import { type IkeHparams, ikeHparams } from './hparams.js';

/**
 * Per-model presets (`hparams/<model>.json`): the public checkpoints' files hold EasyEdit's
 * `hparams/IKE/*.yaml` value (`k` 16; its sentence encoder is replaced by BM25, see the README) for `gpt2-xl`,
 * `gpt-j-6b`, `llama-2-7b`, `llama-3-8b` and `mistral-7b`; `default` is for llmedit's default model (256
 * positions, so k is small enough that context + input fit), `micro` for the micro test model.
 */
export const ikePresets = {
  'gpt2-xl': gpt2Xl,
  'gpt-j-6b': gptJ6b,
  'llama-2-7b': llama27b,
  'llama-3-8b': llama38b,
  'mistral-7b': mistral7b,
  default: defaultPreset,
  micro,
} as const satisfies Record<string, Partial<Record<keyof IkeHparams, unknown>>>;

export type IkePresetName = keyof typeof ikePresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function ikePreset(model: IkePresetName): IkeHparams {
  return ikeHparams.parse(ikePresets[model]);
}

const ikeYaml = easyEditReaders('IKE', ikeHparams);

/** IKE hyperparameters from an EasyEdit file read with `readEasyEditYaml` (`alg_name: IKE`). */
export const ikeFromEasyEdit: (file: EasyEditHparamsFile) => IkeHparams = ikeYaml.fromFile;

/** Read an EasyEdit IKE YAML text (`hparams/IKE/gpt2-xl.yaml`). */
export const readIkeYaml: EasyEditReaders<IkeHparams>['read'] = ikeYaml.read;

/** Load an EasyEdit IKE YAML file. */
export const loadIkeYaml: (path: string) => Promise<IkeHparams> = ikeYaml.load;
