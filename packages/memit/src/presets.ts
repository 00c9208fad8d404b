import { type EasyEditHparamsFile, type EasyEditReaders, easyEditReaders } from '@llmedit/core';
import defaultModel from '../hparams/default.json' with { type: 'json' };
import gpt2Xl from '../hparams/gpt2-xl.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import type { MemitHparams } from './hparams.js';
import { memit } from './method.js';

/**
 * Per-model presets (`hparams/<model>.json`): `gpt2-xl` holds EasyEdit's GPT-2 XL values, `default` and
 * `micro` the values tuned for llmedit's embedded models.
 */
export const memitPresets = { 'gpt2-xl': gpt2Xl, default: defaultModel, micro } as const;

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
