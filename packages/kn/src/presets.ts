import { type EasyEditHparamsFile, type EasyEditReaders, easyEditReaders } from '@llmedit/core';
import defaultModel from '../hparams/default.json' with { type: 'json' };
import gpt2 from '../hparams/gpt2.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type KnHparams, type KnLlmeditHparams, knHparams, knLlmeditHparams } from './hparams.js';

/**
 * Per-model hyperparameter presets (`hparams/<model>.json`), one entry per method: `kn` is EasyEdit's
 * hparams/KN/gpt2-xl.yaml for every model (every layer searched), `kn-llmedit` the values chosen for
 * llmedit's rule (`default`: layer 2 of the default model, `micro`: the micro model's top layer).
 */
export const knPresets = { gpt2, default: defaultModel, micro } as const satisfies Record<
  string,
  { kn: Partial<KnHparams>; 'kn-llmedit': Partial<KnLlmeditHparams> }
>;

export type KnPresetName = keyof typeof knPresets;

/** The parsed `kn` hyperparameters of a preset (defaults filled in). */
export function knPreset(model: KnPresetName): KnHparams {
  return knHparams.parse(knPresets[model].kn);
}

/** The parsed `kn-llmedit` hyperparameters of a preset (defaults filled in). */
export function knLlmeditPreset(model: KnPresetName): KnLlmeditHparams {
  return knLlmeditHparams.parse(knPresets[model]['kn-llmedit']);
}

const knYaml = easyEditReaders('KN', knHparams);

/** KN hyperparameters from an EasyEdit file read with `readEasyEditYaml` (`alg_name: KN`). */
export const knFromEasyEdit: (file: EasyEditHparamsFile) => KnHparams = knYaml.fromFile;

/** Read an EasyEdit KN YAML text (`hparams/KN/gpt2-xl.yaml`). */
export const readKnYaml: EasyEditReaders<KnHparams>['read'] = knYaml.read;

/** Load an EasyEdit KN YAML file. */
export const loadKnYaml: (path: string) => Promise<KnHparams> = knYaml.load;
