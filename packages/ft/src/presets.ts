import {
  type EasyEditHparamsFile,
  InvalidHparamsError,
  loadEasyEditYaml,
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
import type { FtHparams } from './hparams.js';
import { ftL, ftM } from './method.js';

export type FtMethodId = 'ft-l' | 'ft-m';

/**
 * Per-model hyperparameter presets (`hparams/<model>.json`): the public checkpoints' files hold EasyEdit's
 * `hparams/FT/*.yaml` values for both FT-L and FT-M (`gpt2-xl`, `gpt-j-6b`, `llama-2-7b`, `llama-3-8b`,
 * `mistral-7b`; the README lists the file of each), `default` GPT-2 XL's values for llmedit's default model
 * (layer 0 is the first block there too: nothing in the file depends on GPT-2 XL's depth or width), `micro`
 * the values tuned for llmedit's micro test model.
 */
export const ftPresets = {
  'gpt2-xl': gpt2Xl,
  'gpt-j-6b': gptJ6b,
  'llama-2-7b': llama27b,
  'llama-3-8b': llama38b,
  'mistral-7b': mistral7b,
  default: defaultModel,
  micro,
} as const satisfies Record<string, Record<FtMethodId, Partial<Record<keyof FtHparams, unknown>>>>;

export type FtPresetName = keyof typeof ftPresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function ftPreset(method: FtMethodId, model: FtPresetName): FtHparams {
  const spec = method === 'ft-l' ? ftL.hparams : ftM.hparams;
  return spec.parse(ftPresets[model][method]);
}

/**
 * An EasyEdit FT file (`alg_name: FT`) as the llmedit method it describes: `objective_optimization:
 * prompt_last` is FT-L, `target_new` FT-M (EasyEdit's default when the key is absent is prompt_last).
 *
 * @example
 * const { method, hparams } = ftFromEasyEdit(readEasyEditYaml(text, { algName: 'FT' }));
 * await edit({ method, model, requests, hparams });
 */
export function ftFromEasyEdit(file: EasyEditHparamsFile): { method: typeof ftL; hparams: FtHparams } {
  if (file.algName !== undefined && file.algName.toUpperCase().replace(/[-_]/g, '') !== 'FT') {
    throw new InvalidHparamsError('alg_name', `expected 'FT', got '${file.algName}'`);
  }
  const objective = file.hparams.objectiveOptimization ?? 'prompt_last';
  const method = objective === 'target_new' ? ftM : ftL;
  return { method, hparams: method.hparams.parse(file.hparams) };
}

/** Read an EasyEdit FT YAML text; see `ftFromEasyEdit`. */
export function readFtYaml(
  text: string,
  options: Omit<ReadEasyEditYamlOptions, 'algName'> = {},
): { method: typeof ftL; hparams: FtHparams } {
  return ftFromEasyEdit(readEasyEditYaml(text, { ...options, algName: 'FT' }));
}

/** Load an EasyEdit FT YAML file (`hparams/FT/gpt2-xl.yaml`); see `ftFromEasyEdit`. */
export async function loadFtYaml(path: string): Promise<{ method: typeof ftL; hparams: FtHparams }> {
  return ftFromEasyEdit(await loadEasyEditYaml(path, { algName: 'FT' }));
}
