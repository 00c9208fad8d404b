import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '@llmedit/core';
import type { CausalLM } from './causal-lm.js';
import {
  readCheckpointWeights,
  readJsonObject,
  writeCheckpointWeights,
  writeJsonFile,
} from './checkpoint/node.js';
import { parseHfConfig, toHfConfig } from './config.js';
import { createModel } from './create.js';
import { loadTokenizer } from './tokenizer/load-folder.js';
import type { Tokenizer } from './tokenizer/types.js';

export interface LoadModelOptions {
  /** Use this tokenizer instead of the folder's tokenizer files. */
  tokenizer?: Tokenizer;
  /**
   * Reject a checkpoint holding a NaN or infinite weight (CheckpointError naming the tensor and index).
   * Off by default: it reads every weight once more, and a corrupt file is usually caught by the
   * safetensors checks already.
   */
  checkFinite?: boolean;
}

/**
 * Load a Hugging Face model folder: `config.json`, `model.safetensors` (or shards with
 * `model.safetensors.index.json`) and `tokenizer.json` (or GPT-2's `vocab.json` + `merges.txt`).
 * Nothing is downloaded. Weights are decoded to float32.
 */
export function loadModel(dir: string, options: LoadModelOptions = {}): CausalLM {
  const config = parseHfConfig(readJsonObject(join(dir, 'config.json'), 'model config'));
  const tokenizer = options.tokenizer ?? loadTokenizer(dir);
  const weights = readCheckpointWeights(dir);
  if (options.checkFinite === true) {
    for (const [name, tensor] of weights) {
      const index = tensor.data.findIndex((value) => !Number.isFinite(value));
      if (index >= 0) {
        throw new CheckpointError(dir, `weight ${index} is ${tensor.data[index]}, not finite`, name);
      }
    }
  }
  return createModel(config, weights, tokenizer, dir);
}

export interface SaveModelOptions {
  /** Split weights into shards of at most this many bytes (writes the index). */
  maxShardBytes?: number;
}

/** Write `config.json`, float32 safetensors weights and `tokenizer.json` (when the model has a tokenizer). */
export async function saveModel(model: CausalLM, dir: string, options: SaveModelOptions = {}): Promise<void> {
  const weights = await model.weightsToHost();
  writeCheckpointWeights(
    dir,
    weights,
    options.maxShardBytes === undefined ? {} : { maxShardBytes: options.maxShardBytes },
  );
  writeJsonFile(join(dir, 'config.json'), toHfConfig(model.config));
  if (model.tokenizer !== undefined) writeJsonFile(join(dir, 'tokenizer.json'), model.tokenizer.toJSON());
}

/** Whether a folder looks like a model checkpoint we can load. */
export function isModelFolder(dir: string): boolean {
  return (
    existsSync(join(dir, 'config.json')) &&
    (existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'model.safetensors.index.json')))
  );
}
