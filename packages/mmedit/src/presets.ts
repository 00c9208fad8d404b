import type { FtHparams } from '@llmedit/ft';
import type { IkeHparams } from '@llmedit/ike';
import type { KeHparams } from '@llmedit/ke';
import type { MendHparams } from '@llmedit/mend';
import type { SeracHparams } from '@llmedit/serac';
import defaultVlm from '../hparams/default.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type FtVisionHparams, ftVision } from './ft-vision.js';
import { ftLlm, ike, ke, mend, serac } from './methods.js';

/** Every method of this package, by id. */
export const mmeditMethods = { 'ft-llm': ftLlm, 'ft-vision': ftVision, ike, serac, mend, ke } as const;
export type MmeditMethodId = keyof typeof mmeditMethods;

interface MmeditHparams {
  'ft-llm': FtHparams;
  'ft-vision': FtVisionHparams;
  ike: IkeHparams;
  serac: SeracHparams;
  mend: MendHparams;
  ke: KeHparams;
}

/**
 * Presets (`hparams/<name>.json`): `default` for the default VLM (the default language model behind the
 * scene-trained vision tower; README says where each value comes from), `micro` for tests on a random VLM
 * over the micro model.
 */
export const mmeditPresets = { default: defaultVlm, micro } as const;
export type MmeditPresetName = keyof typeof mmeditPresets;

/** The parsed hyperparameters of a method's preset (defaults filled in). */
export function mmeditPreset<K extends MmeditMethodId>(
  method: K,
  preset: MmeditPresetName,
): MmeditHparams[K] {
  return mmeditMethods[method].hparams.parse(mmeditPresets[preset][method]) as MmeditHparams[K];
}
