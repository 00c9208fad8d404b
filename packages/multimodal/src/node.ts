// Node entry: everything in the browser-safe entry plus reading and writing VLM folders on disk.
import { join } from 'node:path';
import { createModel } from '@llmedit/models';
import {
  loadTokenizer,
  readCheckpointWeights,
  readJsonObject,
  writeCheckpointWeights,
  writeJsonFile,
} from '@llmedit/models/node';
import { parseVlmConfig, toVlmHfConfig } from './config.js';
import { splitVlmWeights } from './create.js';
import { type ImageResolver, VisionLanguageModel } from './vlm.js';

export * from './index.js';

export interface LoadVlmOptions {
  resolveImage?: ImageResolver;
}

/**
 * Load a LLaVA-layout folder: `config.json` (`model_type: "llava"`), `model.safetensors` (or shards) holding
 * `vision_tower.*`, `multi_modal_projector.*` and `language_model.*` weights, and the tokenizer files.
 */
export function loadVlm(dir: string, options: LoadVlmOptions = {}): VisionLanguageModel {
  const config = parseVlmConfig(readJsonObject(join(dir, 'config.json'), 'VLM config'));
  const { text, vision } = splitVlmWeights(readCheckpointWeights(dir));
  const languageModel = createModel(config.text, text, loadTokenizer(dir), dir);
  return new VisionLanguageModel(config, languageModel, vision, options.resolveImage);
}

/** Write `config.json` (LLaVA layout), float32 safetensors weights and `tokenizer.json`. */
export async function saveVlm(model: VisionLanguageModel, dir: string): Promise<void> {
  writeCheckpointWeights(dir, await model.weightsToHost());
  writeJsonFile(join(dir, 'config.json'), toVlmHfConfig(model.config));
  const tokenizer = model.languageModel.tokenizer;
  if (tokenizer !== undefined) writeJsonFile(join(dir, 'tokenizer.json'), tokenizer.toJSON());
}
export {
  DEFAULT_VLM,
  defaultVlmConfig,
  defaultVlmDir,
  loadDefaultVlm,
  readDefaultVlmReport,
  saveVisionCheckpoint,
} from './default-vlm.js';
export {
  DEFAULT_SCENE_EDIT_FILES,
  SCENE_EDIT_MANIFEST,
  type SceneEditFileSpec,
  type SceneEditManifest,
  type SceneEditManifestFile,
  type SceneEditSplit,
  sceneEditFileName,
  type WriteSceneEditsOptions,
  writeSceneEditSets,
  zsreTextLocality,
} from './edit-sets-files.js';
export { evaluateScenes, type SceneAccuracy } from './train/evaluate-vlm.js';
export {
  answerLoss,
  DEFAULT_VLM_TRAINING,
  trainVisionSide,
  type VlmTrainOptions,
  type VlmTrainReport,
} from './train/train-vlm.js';
