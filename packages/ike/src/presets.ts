import {
  type EasyEditHparamsFile,
  InvalidHparamsError,
  loadEasyEditYaml,
  type ReadEasyEditYamlOptions,
  readEasyEditYaml,
} from '@llmedit/core';
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

/** IKE hyperparameters from an EasyEdit file read with `readEasyEditYaml` (`alg_name: IKE`). */
export function ikeFromEasyEdit(file: EasyEditHparamsFile): IkeHparams {
  if (file.algName !== undefined && file.algName.toUpperCase() !== 'IKE') {
    throw new InvalidHparamsError('alg_name', `expected 'IKE', got '${file.algName}'`);
  }
  return ikeHparams.parse(file.hparams);
}

/** Read an EasyEdit IKE YAML text (`hparams/IKE/gpt2-xl.yaml`). */
export function readIkeYaml(
  text: string,
  options: Omit<ReadEasyEditYamlOptions, 'algName'> = {},
): IkeHparams {
  return ikeFromEasyEdit(readEasyEditYaml(text, { ...options, algName: 'IKE' }));
}

/** Load an EasyEdit IKE YAML file. */
export async function loadIkeYaml(path: string): Promise<IkeHparams> {
  return ikeFromEasyEdit(await loadEasyEditYaml(path, { algName: 'IKE' }));
}
