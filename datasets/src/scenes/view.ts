import { SceneError } from './errors.js';
import { validateScene } from './generate.js';
import {
  canonicalLayout,
  layoutProblem,
  type PlacedSceneObject,
  type Scene,
  type SceneLayout,
  separationClass,
} from './layout.js';
import { RNG_SALT, type Rng, randomInt, sceneRng } from './prng.js';
import { SCENE_RADIUS, SCENE_SIZE } from './vocabulary.js';

/** Full re-layout attempts, then small-jitter attempts, before a view falls back to the canonical layout. */
const RELAYOUT_TRIES = 120;
const JITTER_TRIES = 120;
const JITTER_PX = 3;

/** Views are non-negative integers; 0 is the canonical rendering. */
export function checkView(view: number): void {
  if (!Number.isInteger(view) || view < 0 || view > 0xffffffff) {
    throw new SceneError(String(view), 'a scene view must be an integer in [0, 2^32)');
  }
}

/**
 * True when `candidate` says the same as `reference` for every question and the caption: a valid layout
 * whose every pair keeps its left/right order and its near/far class (colours, shapes, sizes and count are
 * copied, never redrawn).
 */
export function sameContent(
  reference: readonly PlacedSceneObject[],
  candidate: readonly PlacedSceneObject[],
): boolean {
  if (layoutProblem(candidate) !== undefined) return false;
  for (let i = 0; i < reference.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = reference[i]!.x - reference[j]!.x;
      const b = candidate[i]!.x - candidate[j]!.x;
      if (Math.sign(a) !== Math.sign(b) || separationClass(a) !== separationClass(b)) return false;
    }
  }
  return true;
}

function drawRadius(rng: Rng, o: PlacedSceneObject): number {
  const range = SCENE_RADIUS[o.size];
  return randomInt(rng, range.min, range.max);
}

/** New positions: fresh x centres, sorted and handed out in the canonical left-to-right order; fresh y. */
function relayout(rng: Rng, objects: readonly PlacedSceneObject[]): PlacedSceneObject[] {
  const radii = objects.map((o) => drawRadius(rng, o));
  const xs = objects.map(() => randomInt(rng, 1, SCENE_SIZE - 1)).sort((a, b) => a - b);
  const rank = objects.map((_, i) => i).sort((a, b) => objects[a]!.x - objects[b]!.x);
  const out = objects.map((o) => ({ ...o }));
  rank.forEach((index, r) => {
    out[index]!.x = xs[r]!;
  });
  return out.map((o, i) => {
    const radius = radii[i]!;
    return { ...o, radius, y: randomInt(rng, radius + 1, SCENE_SIZE - radius - 1) };
  });
}

/** Small moves of the canonical layout, for crowded scenes where a full re-layout rarely fits. */
function jitter(rng: Rng, objects: readonly PlacedSceneObject[]): PlacedSceneObject[] {
  return objects.map((o) => ({
    ...o,
    radius: drawRadius(rng, o),
    x: o.x + randomInt(rng, -JITTER_PX, JITTER_PX),
    y: o.y + randomInt(rng, -JITTER_PX, JITTER_PX),
  }));
}

/**
 * The layout that view `view` of a scene draws. View 0 is the scene itself at canonical radii. View k > 0 is
 * an "image rephrase": same objects (colour, shape, size class, count), new positions and radii within the
 * size class, keeping every pair's left-to-right order and near/far class, so every answer of
 * sceneQuestions and the caption are unchanged. Deterministic in (scene, view); falls back to jitter and
 * finally to the canonical layout for scenes too crowded to move (renderScene still varies tint and noise).
 */
export function sceneView(scene: Scene, view = 0): SceneLayout {
  validateScene(scene);
  checkView(view);
  const canonical = canonicalLayout(scene);
  if (view === 0) return canonical;
  const rng = sceneRng(scene.seed, view, RNG_SALT.view);
  for (let t = 0; t < RELAYOUT_TRIES; t++) {
    const objects = relayout(rng, canonical.objects);
    if (sameContent(canonical.objects, objects)) return { seed: scene.seed, view, objects };
  }
  for (let t = 0; t < JITTER_TRIES; t++) {
    const objects = jitter(rng, canonical.objects);
    if (sameContent(canonical.objects, objects)) return { seed: scene.seed, view, objects };
  }
  return { ...canonical, view };
}
