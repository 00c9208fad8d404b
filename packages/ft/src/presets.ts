import {
  type EasyEditHparamsFile,
  InvalidHparamsError,
  loadEasyEditYaml,
  type ReadEasyEditYamlOptions,
  readEasyEditYaml,
} from '@llmedit/core';
import defaultModel from '../hparams/default.json' with { type: 'json' };
import gpt2 from '../hparams/gpt2.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import type { FtHparams } from './hparams.js';
import { ftL, ftM } from './method.js';

export type FtMethodId = 'ft-l' | 'ft-m';

/**
 * Per-model hyperparameter presets (`hparams/<model>.json`): `gpt2` holds EasyEdit's GPT-2 XL values,
 * `default` the same values for llmedit's default model (layer 0 is the first block there too: nothing in
 * the file depends on GPT-2 XL's depth or width), `micro` the values tuned for llmedit's micro test model.
 */
export const ftPresets = { gpt2, default: defaultModel, micro } as const satisfies Record<
  string,
  Record<FtMethodId, Partial<FtHparams>>
>;

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
