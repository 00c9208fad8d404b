import {
  SCENE_RADIUS,
  SCENE_SIZE,
  type SceneColour,
  type SceneObjectSize,
  type SceneShape,
} from './vocabulary.js';

/** One solid object; (x, y) is its centre in pixels (x to the right, y down). */
export interface SceneObject {
  colour: SceneColour;
  shape: SceneShape;
  size: SceneObjectSize;
  x: number;
  y: number;
}

/** A scene: 1-4 objects, each (colour, shape) pair distinct, none overlapping, all inside the canvas. */
export interface Scene {
  seed: number;
  objects: readonly SceneObject[];
}

/** An object as one view draws it: `radius` is the half-side of its bounding square. */
export interface PlacedSceneObject extends SceneObject {
  radius: number;
}

/** The layout one view of a scene draws (a Scene, so questions and captions can be asked of it). */
export interface SceneLayout extends Scene {
  view: number;
  objects: readonly PlacedSceneObject[];
}

export const MIN_OBJECTS = 1;
export const MAX_OBJECTS = 4;

/** Empty pixels kept between two objects' bounding squares, and between an object and the canvas edge. */
export const OBJECT_GAP = 2;
export const EDGE_MARGIN = 1;

/**
 * Horizontal separation classes of a pair of objects (centre distance |dx|). A pair is either "far"
 * (|dx| >= FAR_DX: clearly left/right, a position question is asked) or "near" (NEAR_DX_MIN <= |dx| <=
 * NEAR_DX_MAX: no position question, but the left-to-right order, which the caption follows, is still
 * defined). Nothing in between is allowed, so every view can keep each pair in its class with a margin and
 * the set of questions never depends on a pixel or two.
 */
export const FAR_DX = 14;
export const NEAR_DX_MIN = 3;
export const NEAR_DX_MAX = 6;
/** Position questions are asked iff |dx| >= POSITION_MARGIN (between the two classes). */
export const POSITION_MARGIN = 10;

export type SeparationClass = 'near' | 'far';

/** The class of a horizontal centre distance, or undefined when it is in neither (an invalid layout). */
export function separationClass(dx: number): SeparationClass | undefined {
  const d = Math.abs(dx);
  if (d >= FAR_DX) return 'far';
  if (d >= NEAR_DX_MIN && d <= NEAR_DX_MAX) return 'near';
  return undefined;
}

/** The canonical radius of a size class (what view 0 draws). */
export function canonicalRadius(size: SceneObjectSize): number {
  return SCENE_RADIUS[size].canonical;
}

/**
 * Why a placed layout breaks the scene rules, or undefined when it keeps them all: object count, distinct
 * (colour, shape) pairs, radius within its size class, inside the canvas, bounding squares apart by
 * OBJECT_GAP (Chebyshev distance, so no shape can touch another), every pair near or far.
 */
export function layoutProblem(objects: readonly PlacedSceneObject[]): string | undefined {
  if (objects.length < MIN_OBJECTS || objects.length > MAX_OBJECTS) {
    return `${objects.length} objects (expected ${MIN_OBJECTS}-${MAX_OBJECTS})`;
  }
  const pairs = new Set<string>();
  for (const [i, o] of objects.entries()) {
    const key = `${o.colour} ${o.shape}`;
    if (pairs.has(key)) return `two ${key}s`;
    pairs.add(key);
    const range = SCENE_RADIUS[o.size];
    if (!(o.radius >= range.min && o.radius <= range.max))
      return `object ${i}: radius ${o.radius} is not ${o.size}`;
    const lo = o.radius + EDGE_MARGIN;
    const hi = SCENE_SIZE - o.radius - EDGE_MARGIN;
    if (!(o.x >= lo && o.x <= hi && o.y >= lo && o.y <= hi)) return `object ${i} leaves the canvas`;
    for (let j = 0; j < i; j++) {
      const p = objects[j]!;
      const dx = Math.abs(o.x - p.x);
      const dy = Math.abs(o.y - p.y);
      if (Math.max(dx, dy) < o.radius + p.radius + OBJECT_GAP) return `objects ${j} and ${i} overlap`;
      if (separationClass(dx) === undefined) return `objects ${j} and ${i} are ${dx} px apart horizontally`;
    }
  }
  return undefined;
}

/** The scene's objects with their canonical radii (the layout of view 0). */
export function canonicalLayout(scene: Scene): SceneLayout {
  return {
    seed: scene.seed,
    view: 0,
    objects: scene.objects.map((o) => ({ ...o, radius: canonicalRadius(o.size) })),
  };
}
