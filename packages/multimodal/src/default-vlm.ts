// The default VLM: a vision tower and projector trained on procedural scenes in front of the frozen default
// language model. The folder holds the vision side only (the language model is the `default` checkpoint of
// @llmedit/pretrained, named with its content hash in `language-model.json`), which keeps it small.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, LlmeditError } from '@llmedit/core';
import { renderSceneImage } from '@llmedit/datasets';
import type { CausalLM } from '@llmedit/models';
import {
  packageFolder,
  readJsonObject,
  readSafetensors,
  writeJsonFile,
  writeSafetensors,
} from '@llmedit/models/node';
import { type CheckpointName, loadPretrained } from '@llmedit/pretrained/node';
import { parseVlmConfig, toVlmHfConfig, type VlmConfig } from './config.js';
import { VisionLanguageModel } from './vlm.js';

export const DEFAULT_VLM = 'default-vlm';
const LANGUAGE_MODEL_FILE = 'language-model.json';
const VISION_WEIGHTS_FILE = 'model.safetensors';

/** The default VLM's shape: 64x64 images in 16 patches of 16x16, a 3-block tower of width 128. */
export function defaultVlmConfig(text: VlmConfig['text']): VlmConfig {
  return {
    vision: {
      imageSize: 64,
      patchSize: 16,
      numChannels: 3,
      hiddenSize: 128,
      intermediateSize: 512,
      numLayers: 3,
      numHeads: 4,
      layerNormEpsilon: 1e-5,
    },
    text,
    // Any id works (its embedding row is replaced); the end-of-text id keeps the vocabulary unchanged.
    imageTokenIndex: text.eosTokenId ?? 0,
    visionFeatureLayer: -1,
    visionFeatureSelectStrategy: 'default',
  };
}

/** Where the default VLM's folder is (inside this package). */
export function defaultVlmDir(): string {
  return join(packageFolder(import.meta.url), 'checkpoints', DEFAULT_VLM);
}

interface LanguageModelReference {
  checkpoint: CheckpointName;
  modelId: string;
}

/**
 * Load the default VLM (scene images resolved by `renderSceneImage` from @llmedit/datasets). Throws a typed
 * error when the folder is missing or its language model is not the one it was trained with.
 */
export function loadDefaultVlm(dir = defaultVlmDir()): VisionLanguageModel {
  if (!existsSync(join(dir, 'config.json'))) {
    throw new LlmeditError(
      'CHECKPOINT',
      `the default VLM is not built (${dir}): run \`pnpm --filter @llmedit/multimodal train\``,
    );
  }
  const config = parseVlmConfig(readJsonObject(join(dir, 'config.json'), 'VLM config'));
  const reference = readJsonObject(
    join(dir, LANGUAGE_MODEL_FILE),
    'language model reference',
  ) as unknown as LanguageModelReference;
  const languageModel = loadPretrained(reference.checkpoint);
  if (languageModel.modelId !== reference.modelId) {
    languageModel.dispose();
    throw new CheckpointError(
      join(dir, LANGUAGE_MODEL_FILE),
      `was trained on '${reference.checkpoint}' ${reference.modelId}, the installed one is ${languageModel.modelId}`,
    );
  }
  const vision = readSafetensors(join(dir, VISION_WEIGHTS_FILE));
  return new VisionLanguageModel(config, languageModel, vision, renderSceneImage);
}

/** Write the vision side of `vlm` and a reference to its (unchanged, named) language model. */
export async function saveVisionCheckpoint(
  vlm: VisionLanguageModel,
  dir: string,
  languageModel: CheckpointName,
): Promise<void> {
  const weights = await vlm.weightsToHost();
  const vision = new Map([...weights].filter(([name]) => !name.startsWith('language_model.')));
  writeSafetensors(join(dir, VISION_WEIGHTS_FILE), vision, { format: 'pt' });
  writeJsonFile(join(dir, 'config.json'), toVlmHfConfig(vlm.config));
  const reference: LanguageModelReference = {
    checkpoint: languageModel,
    modelId: (vlm.languageModel as CausalLM).modelId,
  };
  writeJsonFile(join(dir, LANGUAGE_MODEL_FILE), reference);
}

/** The card's training report, when the folder has one. */
export function readDefaultVlmReport(dir = defaultVlmDir()): unknown {
  const file = join(dir, 'training-report.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}
