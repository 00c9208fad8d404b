import { type EasyEditHparamsFile, type EasyEditReaders, easyEditReaders } from '@llmedit/core';
import defaultPreset from '../hparams/default.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type IkeHparams, ikeHparams } from './hparams.js';

/**
 * Per-model presets (`hparams/<model>.json`): `default` for llmedit's default model (256 positions, so k is
 * small enough that context + input fit), `micro` for the micro test model.
 */
export const ikePresets = { default: defaultPreset, micro } as const satisfies Record<
  string,
  Partial<Record<keyof IkeHparams, unknown>>
>;

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
