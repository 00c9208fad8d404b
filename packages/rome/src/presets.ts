import {
  type EasyEditHparamsFile,
  InvalidHparamsError,
  loadEasyEditYaml,
  MissingPresetError,
  type ReadEasyEditYamlOptions,
  readEasyEditYaml,
} from '@llmedit/core';
import defaultModel from '../hparams/default.json' with { type: 'json' };
import gptJ6b from '../hparams/gpt-j-6b.json' with { type: 'json' };
import gpt2Xl from '../hparams/gpt2-xl.json' with { type: 'json' };
import llama27b from '../hparams/llama-2-7b.json' with { type: 'json' };
import llama38b from '../hparams/llama-3-8b.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import mistral7b from '../hparams/mistral-7b.json' with { type: 'json' };
import type { RomeHparams, RRomeHparams } from './hparams.js';
import { rome, rRome } from './method.js';

export type RomeMethodId = 'rome' | 'r-rome';

/**
 * Per-model presets (`hparams/<model>.json`), one entry per method. The public checkpoints' files hold
 * EasyEdit's values (`gpt2-xl`, `gpt-j-6b`, `llama-2-7b`, `llama-3-8b`, `mistral-7b`; the README lists the
 * EasyEdit file of each; a checkpoint EasyEdit gives no R-ROME file for has no `r-rome` entry); `default`
 * and `micro` the values tuned for llmedit's embedded models.
 */
export const romePresets = {
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
    rome: Partial<Record<keyof RomeHparams, unknown>>;
    'r-rome'?: Partial<Record<keyof RRomeHparams, unknown>>;
  }
>;

export type RomePresetName = keyof typeof romePresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function romePreset(model: RomePresetName, method?: 'rome'): RomeHparams;
export function romePreset(model: RomePresetName, method: 'r-rome'): RRomeHparams;
export function romePreset(model: RomePresetName, method: RomeMethodId = 'rome'): RomeHparams | RRomeHparams {
  const preset: { rome: unknown; 'r-rome'?: unknown } = romePresets[model];
  const values = preset[method];
  if (values === undefined) throw new MissingPresetError(method, model, presetNames(method));
  return method === 'rome' ? rome.hparams.parse(values) : rRome.hparams.parse(values);
}

/** The models with a preset for `method`. */
function presetNames(method: RomeMethodId): string[] {
  return Object.entries(romePresets)
    .filter(([, preset]) => (preset as { rome: unknown; 'r-rome'?: unknown })[method] !== undefined)
    .map(([name]) => name);
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
