import defaultModel from '../hparams/default.json' with { type: 'json' };
import micro from '../hparams/micro.json' with { type: 'json' };
import { type TemplateHparams, templateHparams } from './hparams.js';

/**
 * Per-model hyperparameter presets (`hparams/<model>.json`), keyed like the bench's models: `micro` (the
 * test model) and `default` (the model `pnpm bench` edits). Add `gpt2` / `llama` for Hugging Face folders.
 */
export const templatePresets = { micro, default: defaultModel } as const satisfies Record<
  string,
  Partial<TemplateHparams>
>;

export type TemplatePresetName = keyof typeof templatePresets;

/** The parsed hyperparameters of a preset (defaults filled in). */
export function templatePreset(model: TemplatePresetName): TemplateHparams {
  return templateHparams.parse(templatePresets[model]);
}
