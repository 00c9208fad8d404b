import { SceneError } from './errors.js';
import {
  canonicalLayout,
  canonicalRadius,
  EDGE_MARGIN,
  layoutProblem,
  MAX_OBJECTS,
  MIN_OBJECTS,
  type PlacedSceneObject,
  type Scene,
  type SceneObject,
} from './layout.js';
import { RNG_SALT, type Rng, randomInt, sceneRng, shuffled } from './prng.js';
import {
  SCENE_COLOURS,
  SCENE_OBJECT_SIZES,
  SCENE_SHAPES,
  SCENE_SIZE,
  type SceneColour,
  type SceneShape,
} from './vocabulary.js';

/** Seeds are uint32 so that every seed maps to one PRNG state and ids stay short. */
export function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SceneError(String(seed), 'a scene seed must be an integer in [0, 2^32)');
  }
}

/** Throws SceneError when a scene (generated or hand-made) breaks the scene rules. */
export function validateScene(scene: Scene): void {
  checkSeed(scene.seed);
  const problem = layoutProblem(canonicalLayout(scene).objects);
  if (problem !== undefined) throw new SceneError(`scene ${scene.seed}`, problem);
}

const ALL_PAIRS: readonly (readonly [SceneColour, SceneShape])[] = SCENE_COLOURS.flatMap((c) =>
  SCENE_SHAPES.map((s) => [c, s] as const),
);

/** Placement attempts per object before the placement is restarted. */
const TRIES_PER_OBJECT = 60;
/** Whole placements tried per draw of pairs and sizes before those are redrawn. */
const PLACEMENTS_PER_DRAW = 20;

/** Places objects one at a time by rejection: a uniform integer centre kept when the layout stays valid. */
function place(rng: Rng, kinds: readonly Omit<SceneObject, 'x' | 'y'>[]): SceneObject[] | undefined {
  const placed: PlacedSceneObject[] = [];
  for (const kind of kinds) {
    const radius = canonicalRadius(kind.size);
    const lo = radius + EDGE_MARGIN;
    const hi = SCENE_SIZE - radius - EDGE_MARGIN;
    let ok = false;
    for (let t = 0; t < TRIES_PER_OBJECT && !ok; t++) {
      const candidate = { ...kind, x: randomInt(rng, lo, hi), y: randomInt(rng, lo, hi), radius };
      if (layoutProblem([...placed, candidate]) === undefined) {
        placed.push(candidate);
        ok = true;
      }
    }
    if (!ok) return undefined;
  }
  return placed.map(({ radius: _radius, ...o }) => o);
}

/**
 * The scene of a seed: 1-4 objects (uniform count), distinct (colour, shape) pairs drawn uniformly, each
 * small or large with equal odds (crowded draws that cannot be placed are redrawn, so four-object scenes
 * lean slightly small), placed by rejection sampling. Pure function of the seed.
 */
export function generateScene(seed: number): Scene {
  checkSeed(seed);
  const rng = sceneRng(seed, 0, RNG_SALT.layout);
  // The count is drawn once so that it stays uniform; a crowded draw (four large objects) that fails to
  // place is first retried with new positions, then with new pairs and sizes, all from the same stream.
  const count = randomInt(rng, MIN_OBJECTS, MAX_OBJECTS);
  for (let attempt = 0; attempt < 200; attempt++) {
    const kinds = shuffled(rng, ALL_PAIRS)
      .slice(0, count)
      .map(([colour, shape]) => ({ colour, shape, size: SCENE_OBJECT_SIZES[randomInt(rng, 0, 1)]! }));
    for (let placing = 0; placing < PLACEMENTS_PER_DRAW; placing++) {
      const objects = place(rng, kinds);
      if (objects !== undefined) return { seed, objects };
    }
  }
  throw new SceneError(String(seed), 'no valid layout found'); // not reached for any uint32 seed in practice
}
