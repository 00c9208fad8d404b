import {
  type EasyEditHparamsFile,
  loadEasyEditYaml,
  type ReadEasyEditYamlOptions,
  readEasyEditYaml,
} from '@llmedit/core';
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

/** KN hyperparameters from an EasyEdit file read with `readEasyEditYaml` (`alg_name: KN`). */
export function knFromEasyEdit(file: EasyEditHparamsFile): KnHparams {
  return knHparams.parse(file.hparams);
}

/** Read an EasyEdit KN YAML text (`hparams/KN/gpt2-xl.yaml`). */
export function readKnYaml(text: string, options: Omit<ReadEasyEditYamlOptions, 'algName'> = {}): KnHparams {
  return knFromEasyEdit(readEasyEditYaml(text, { ...options, algName: 'KN' }));
}

/** Load an EasyEdit KN YAML file. */
export async function loadKnYaml(path: string): Promise<KnHparams> {
  return knFromEasyEdit(await loadEasyEditYaml(path, { algName: 'KN' }));
}
