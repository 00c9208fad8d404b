// The browser-safe entry: no Node built-in is imported from here. Node resolves the package to `node.ts`,
// which adds loading and saving VLM folders on disk.
export {
  checkVlmConfig,
  numImageTokens,
  numPatches,
  parseVlmConfig,
  tinyVlmConfig,
  toVlmHfConfig,
  type VisionConfig,
  type VlmConfig,
} from './config.js';
export { type CreateVlmOptions, createRandomVlm, splitVlmWeights } from './create.js';
export {
  type BuildSceneEditsOptions,
  buildSceneEdits,
  SCENE_EDIT_TASKS,
  type SceneEditJson,
  type SceneEditSet,
  type SceneEditTask,
  type TextLocalityProbe,
} from './edit-sets.js';
export {
  CAPTION_PROMPT,
  CAPTION_PROMPT_REPHRASES,
  captionExample,
  type SceneExample,
  type SceneTaskType,
  vqaExamples,
  vqaPrompt,
} from './scene-tasks.js';
export {
  imageFeatures,
  patchify,
  randomVisionWeights,
  type VisionHook,
  type VisionHookKey,
  visionWeightNames,
  visionWeightSpecs,
} from './vision-tower.js';
export {
  type ImageInput,
  type ImagePixels,
  type ImageResolver,
  LANGUAGE_MODEL_PREFIX,
  type MultimodalForwardOptions,
  type MultimodalInput,
  VisionLanguageModel,
} from './vlm.js';
