import { type EasyEditHparamsFile, type EasyEditReaders, easyEditReaders } from '@llmedit/core';
import defaultModel from '../hparams/default.json' with { type: 'json' };
import gpt2 from '../hparams/gpt2.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type KnHparams, knHparams } from './hparams.js';

/**
 * Per-model hyperparameter presets (`hparams/<model>.json`): `gpt2` holds EasyEdit's GPT-2 XL values,
 * `default` and `micro` the values for llmedit's committed default model and micro test model.
 */
export const knPresets = { gpt2, default: defaultModel, micro } as const satisfies Record<
  string,
  Partial<KnHparams>
>;

export type KnPresetName = keyof typeof knPresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function knPreset(model: KnPresetName): KnHparams {
  return knHparams.parse(knPresets[model]);
}

const knYaml = easyEditReaders('KN', knHparams);

/** KN hyperparameters from an EasyEdit file read with `readEasyEditYaml` (`alg_name: KN`). */
export const knFromEasyEdit: (file: EasyEditHparamsFile) => KnHparams = knYaml.fromFile;

/** Read an EasyEdit KN YAML text (`hparams/KN/gpt2-xl.yaml`). */
export const readKnYaml: EasyEditReaders<KnHparams>['read'] = knYaml.read;

/** Load an EasyEdit KN YAML file. */
export const loadKnYaml: (path: string) => Promise<KnHparams> = knYaml.load;
