import type { PlacedSceneObject, Scene } from './layout.js';
import { RNG_SALT, randomRange, sceneRng } from './prng.js';
import { sceneView } from './view.js';
import { SCENE_BACKGROUND, SCENE_RGB, SCENE_SIZE, type SceneShape } from './vocabulary.js';

/** An RGB image: HWC layout (pixel (x, y) channel c at (y * width + x) * 3 + c), values in [0, 1]. */
export interface SceneImage {
  width: number;
  height: number;
  pixels: Float32Array;
}

/** Supersampling grid per pixel axis: 4 x 4 samples give anti-aliased edges with integer-only geometry. */
const SUBSAMPLES = 4;

/**
 * Largest per-channel change of the background tint, of an object's colour, and of per-pixel noise in an
 * image rephrase. The palette's nearest other colour is > 0.3 away in some channel, so 0.04 + 0.03 keeps
 * every colour word unambiguous.
 */
const TINT = 0.04;
const COLOUR_JITTER = 0.04;
const NOISE = 0.03;

/** Whether point (px, py) lies in a shape centred at (cx, cy) with bounding half-side r. */
function inside(shape: SceneShape, px: number, py: number, cx: number, cy: number, r: number): boolean {
  const dx = px - cx;
  const dy = py - cy;
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= r * r;
    case 'square':
      return Math.abs(dx) <= r && Math.abs(dy) <= r;
    case 'triangle':
      // Apex up at (cx, cy - r), base from (cx - r, cy + r) to (cx + r, cy + r): the width grows linearly.
      return dy <= r && dy >= -r && Math.abs(dx) <= (dy + r) / 2;
    case 'cross': {
      // A plus sign whose arms are 2r/3 wide: thick enough to read at the small radius (6 px -> 4 px arms).
      const arm = r / 3;
      return (Math.abs(dx) <= r && Math.abs(dy) <= arm) || (Math.abs(dy) <= r && Math.abs(dx) <= arm);
    }
  }
}

/** Fraction of pixel (x, y) covered by the object, from SUBSAMPLES^2 point samples. */
function coverage(o: PlacedSceneObject, x: number, y: number): number {
  let hits = 0;
  for (let i = 0; i < SUBSAMPLES; i++) {
    for (let j = 0; j < SUBSAMPLES; j++) {
      if (inside(o.shape, x + (i + 0.5) / SUBSAMPLES, y + (j + 0.5) / SUBSAMPLES, o.x, o.y, o.radius)) hits++;
    }
  }
  return hits / (SUBSAMPLES * SUBSAMPLES);
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * Draws view `view` of a scene (see sceneView): solid shapes blended by coverage over a dark grey background.
 * View 0 is exact (no tint, no noise); a view k > 0 also tints the background, shifts each object's colour
 * slightly and adds uniform pixel noise, all bounded so that no answer changes. Deterministic in (scene, view).
 */
export function renderScene(scene: Scene, view = 0): SceneImage {
  const layout = sceneView(scene, view);
  const size = SCENE_SIZE;
  const pixels = new Float32Array(size * size * 3);
  const rng = view === 0 ? undefined : sceneRng(scene.seed, view, RNG_SALT.pixels);
  const jitter = (amount: number): number => (rng === undefined ? 0 : randomRange(rng, -amount, amount));
  const background = [0, 1, 2].map(() => SCENE_BACKGROUND + jitter(TINT));
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) pixels[p * 3 + c] = background[c]!;
  }
  for (const o of layout.objects) {
    const rgb = SCENE_RGB[o.colour].map((v) => clamp01(v + jitter(COLOUR_JITTER)));
    const x0 = Math.max(0, Math.floor(o.x - o.radius) - 1);
    const x1 = Math.min(size - 1, Math.ceil(o.x + o.radius) + 1);
    const y0 = Math.max(0, Math.floor(o.y - o.radius) - 1);
    const y1 = Math.min(size - 1, Math.ceil(o.y + o.radius) + 1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const a = coverage(o, x, y);
        if (a === 0) continue;
        const p = (y * size + x) * 3;
        for (let c = 0; c < 3; c++) pixels[p + c] = pixels[p + c]! * (1 - a) + rgb[c]! * a;
      }
    }
  }
  if (rng !== undefined) {
    for (let i = 0; i < pixels.length; i++) pixels[i] = clamp01(pixels[i]! + randomRange(rng, -NOISE, NOISE));
  }
  return { width: size, height: size, pixels };
}
