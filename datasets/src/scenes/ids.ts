import { SceneImageIdError } from './errors.js';
import { checkSeed, generateScene } from './generate.js';
import { renderScene, type SceneImage } from './render.js';
import { checkView } from './view.js';

/**
 * Image ids play the part of MMEdit's COCO file names: a record stores `scene/<seed>/<view>` and the image is
 * re-rendered from it on demand, so no image file is ever stored or downloaded.
 */
export function sceneImageId(seed: number, view = 0): string {
  checkSeed(seed);
  checkView(view);
  return `scene/${seed}/${view}`;
}

// Canonical decimal only (no sign, no leading zeros), so each image has exactly one id.
const ID_PATTERN = /^scene\/(0|[1-9]\d*)\/(0|[1-9]\d*)$/;

/** Seed and view of an id made by sceneImageId; SceneImageIdError (naming the id) for anything else. */
export function parseSceneImageId(id: string): { seed: number; view: number } {
  if (typeof id !== 'string') throw new SceneImageIdError(String(id), 'not a string');
  const match = ID_PATTERN.exec(id);
  if (match === null) throw new SceneImageIdError(id, 'wrong format');
  const seed = Number(match[1]);
  const view = Number(match[2]);
  if (seed > 0xffffffff) throw new SceneImageIdError(id, 'seed is not below 2^32');
  if (view > 0xffffffff) throw new SceneImageIdError(id, 'view is not below 2^32');
  return { seed, view };
}

/** The image an id names: generateScene(seed) drawn by renderScene(scene, view). */
export function renderSceneImage(id: string): SceneImage {
  const { seed, view } = parseSceneImageId(id);
  return renderScene(generateScene(seed), view);
}
