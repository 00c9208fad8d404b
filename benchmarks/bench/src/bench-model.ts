import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '@llmedit/core';
import { isModelFolder, loadModel } from '@llmedit/models';
import { checkpointDir, loadPretrained } from '@llmedit/pretrained';
import type { BenchModel } from './bench-method.js';
import { knownCheckpoint } from './checkpoints.js';

/** Whether a committed checkpoint ('default', 'micro') has been built. */
export function checkpointBuilt(name: 'default' | 'micro'): boolean {
  return existsSync(join(checkpointDir(name), 'config.json'));
}

/**
 * The model to benchmark: a committed checkpoint by name, or any Hugging Face-layout folder (config.json,
 * safetensors, tokenizer). Hyperparameter presets are looked up by checkpoint name, or for a folder by the
 * public checkpoint whose config shape it has (`KNOWN_CHECKPOINTS`: GPT-2 XL, LLaMA-2-7B, ...); a folder of
 * any other shape has no preset (each method then fails with a `MissingPresetError` unless `--hparams` or
 * `--layers auto` gives its hyperparameters).
 */
export function loadBenchModel(model: string): BenchModel {
  if (model === 'default' || model === 'micro') {
    return { model: loadPretrained(model), name: model, preset: model };
  }
  if (!isModelFolder(model)) {
    throw new CheckpointError(
      model,
      "is neither a checkpoint name ('default', 'micro') nor a model folder with config.json and " +
        'model.safetensors (or model.safetensors.index.json)',
    );
  }
  const loaded = loadModel(model);
  return { model: loaded, name: model, preset: knownCheckpoint(loaded.config)?.preset };
}
