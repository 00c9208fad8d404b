import { type EasyEditHparamsFile, type EasyEditReaders, easyEditReaders } from '@llmedit/core';
import defaultModel from '../hparams/default.json' with { type: 'json' };
import gptJ6b from '../hparams/gpt-j-6b.json' with { type: 'json' };
import gpt2Xl from '../hparams/gpt2-xl.json' with { type: 'json' };
import llama27b from '../hparams/llama-2-7b.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import mistral7b from '../hparams/mistral-7b.json' with { type: 'json' };
import type { MemitHparams } from './hparams.js';
import { memit } from './method.js';

/**
 * Per-model presets (`hparams/<model>.json`): the public checkpoints' files hold EasyEdit's values
 * (`gpt2-xl`, `gpt-j-6b`, `llama-2-7b`, `mistral-7b`; the README lists the EasyEdit file of each), `default`
 * and `micro` the values tuned for llmedit's embedded models.
 */
export const memitPresets = {
  'gpt2-xl': gpt2Xl,
  'gpt-j-6b': gptJ6b,
  'llama-2-7b': llama27b,
  'mistral-7b': mistral7b,
  default: defaultModel,
  micro,
} as const;

export type MemitPresetName = keyof typeof memitPresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function memitPreset(model: MemitPresetName): MemitHparams {
  return memit.hparams.parse(memitPresets[model]);
}

const memitYaml = easyEditReaders('MEMIT', memit.hparams);

/** The hyperparameters of an EasyEdit MEMIT file (`alg_name: MEMIT`). */
export const memitFromEasyEdit: (file: EasyEditHparamsFile) => MemitHparams = memitYaml.fromFile;

/** Read an EasyEdit MEMIT YAML text. */
export const readMemitYaml: EasyEditReaders<MemitHparams>['read'] = memitYaml.read;

/** Load an EasyEdit MEMIT YAML file (`hparams/MEMIT/gpt2-xl.yaml`). */
export const loadMemitYaml: (path: string) => Promise<MemitHparams> = memitYaml.load;
