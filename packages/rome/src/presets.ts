import {
  type EasyEditHparamsFile,
  InvalidHparamsError,
  loadEasyEditYaml,
  type ReadEasyEditYamlOptions,
  readEasyEditYaml,
} from '@llmedit/core';
import defaultModel from '../hparams/default.json' with { type: 'json' };
import gpt2Xl from '../hparams/gpt2-xl.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import type { RomeHparams, RRomeHparams } from './hparams.js';
import { rome, rRome } from './method.js';

export type RomeMethodId = 'rome' | 'r-rome';

/**
 * Per-model presets (`hparams/<model>.json`): `gpt2-xl` holds EasyEdit's GPT-2 XL values, `default` and
 * `micro` the values tuned for llmedit's embedded models.
 */
export const romePresets = { 'gpt2-xl': gpt2Xl, default: defaultModel, micro } as const;

export type RomePresetName = keyof typeof romePresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function romePreset(model: RomePresetName, method?: 'rome'): RomeHparams;
export function romePreset(model: RomePresetName, method: 'r-rome'): RRomeHparams;
export function romePreset(model: RomePresetName, method: RomeMethodId = 'rome'): RomeHparams | RRomeHparams {
  const values = romePresets[model][method];
  return method === 'rome' ? rome.hparams.parse(values) : rRome.hparams.parse(values);
}

export type RomeFromFile =
  | { method: typeof rome; hparams: RomeHparams }
  | { method: typeof rRome; hparams: RRomeHparams };

const normalise = (name: string) => name.toUpperCase().replace(/[-_]/g, '');

/**
 * An EasyEdit ROME or R-ROME file as the llmedit method it describes (`alg_name: ROME` or `R-ROME`).
 *
 * @example
 * const { method, hparams } = romeFromEasyEdit(readEasyEditYaml(text));
 * await edit({ method, model, requests: [request], hparams });
 */
export function romeFromEasyEdit(file: EasyEditHparamsFile): RomeFromFile {
  const name = normalise(file.algName ?? 'ROME');
  if (name === 'ROME') return { method: rome, hparams: rome.hparams.parse(file.hparams) };
  if (name === 'RROME') return { method: rRome, hparams: rRome.hparams.parse(file.hparams) };
  throw new InvalidHparamsError('alg_name', `expected 'ROME' or 'R-ROME', got '${file.algName}'`);
}

/** Read an EasyEdit ROME / R-ROME YAML text; see `romeFromEasyEdit`. */
export function readRomeYaml(
  text: string,
  options: Omit<ReadEasyEditYamlOptions, 'algName'> = {},
): RomeFromFile {
  return romeFromEasyEdit(readEasyEditYaml(text, options));
}

/** Load an EasyEdit ROME / R-ROME YAML file (`hparams/ROME/gpt2-xl.yaml`); see `romeFromEasyEdit`. */
export async function loadRomeYaml(path: string): Promise<RomeFromFile> {
  return romeFromEasyEdit(await loadEasyEditYaml(path));
}
