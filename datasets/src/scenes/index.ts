// Procedural scenes for multimodal (vision-language) editing, MMEdit-style: pure TypeScript, no Node imports.
export { SceneError, SceneImageIdError } from './errors.js';
export { generateScene, validateScene } from './generate.js';
export { parseSceneImageId, renderSceneImage, sceneImageId } from './ids.js';
export type { PlacedSceneObject, Scene, SceneLayout, SceneObject } from './layout.js';
export { POSITION_MARGIN } from './layout.js';
export { encodePng, quantiseImage } from './png.js';
export type { SceneQuestion, SceneQuestionType } from './questions.js';
export { sceneCaption, sceneQuestions } from './questions.js';
export { renderScene, type SceneImage } from './render.js';
export { SCENE_SPLITS, type SceneSplit, sceneSeeds } from './splits.js';
export { sceneView } from './view.js';
export type { SceneColour, SceneObjectSize, SceneShape } from './vocabulary.js';
export {
  SCENE_BACKGROUND,
  SCENE_COLOURS,
  SCENE_RADIUS,
  SCENE_RGB,
  SCENE_SHAPES,
  SCENE_SIZE,
} from './vocabulary.js';
