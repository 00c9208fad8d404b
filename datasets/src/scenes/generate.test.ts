import { describe, expect, it } from 'vitest';
import { DatasetError } from '../errors.js';
import { SceneError } from './errors.js';
import { generateScene, validateScene } from './generate.js';
import {
  SceneError as Exported,
  SCENE_COLOURS,
  SCENE_RADIUS,
  SCENE_SHAPES,
  SCENE_SIZE,
  sceneView,
} from './index.js';
import { type SceneLayout, separationClass } from './layout.js';

const SEEDS = Array.from({ length: 400 }, (_, i) => i);

/** The scene rules, checked from first principles (not with layoutProblem, which the generator itself uses). */
function checkInvariants(layout: SceneLayout): void {
  const objects = layout.objects;
  expect(objects.length).toBeGreaterThanOrEqual(1);
  expect(objects.length).toBeLessThanOrEqual(4);
  expect(new Set(objects.map((o) => `${o.colour}/${o.shape}`)).size).toBe(objects.length);
  for (const o of objects) {
    expect(SCENE_COLOURS).toContain(o.colour);
    expect(SCENE_SHAPES).toContain(o.shape);
    expect(o.radius).toBeGreaterThanOrEqual(SCENE_RADIUS[o.size].min);
    expect(o.radius).toBeLessThanOrEqual(SCENE_RADIUS[o.size].max);
    for (const v of [o.x, o.y]) {
      expect(v - o.radius).toBeGreaterThanOrEqual(0);
      expect(v + o.radius).toBeLessThanOrEqual(SCENE_SIZE);
    }
  }
  for (let i = 0; i < objects.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = objects[i]!;
      const b = objects[j]!;
      // Bounding squares (which contain every shape) are disjoint.
      const apart = Math.abs(a.x - b.x) > a.radius + b.radius || Math.abs(a.y - b.y) > a.radius + b.radius;
      expect(apart).toBe(true);
    }
  }
}

describe('generateScene', () => {
  it('is a pure function of the seed', () => {
    for (const seed of [0, 1, 17, 123_456, 2_000_000, 0xffffffff]) {
      expect(generateScene(seed)).toEqual(generateScene(seed));
    }
    expect(generateScene(0)).not.toEqual(generateScene(1));
  });

  it('pins seed 0 so that a change of the generator is noticed (ids in stored records would change meaning)', () => {
    expect(generateScene(0)).toMatchInlineSnapshot(`
      {
        "objects": [
          {
            "colour": "green",
            "shape": "triangle",
            "size": "large",
            "x": 42,
            "y": 44,
          },
          {
            "colour": "blue",
            "shape": "cross",
            "size": "small",
            "x": 19,
            "y": 17,
          },
        ],
        "seed": 0,
      }
    `);
  });

  it('keeps the scene rules for every view of a few hundred seeds', () => {
    for (const seed of SEEDS) {
      const scene = generateScene(seed);
      expect(() => validateScene(scene)).not.toThrow();
      for (const view of [0, 1, 2]) checkInvariants(sceneView(scene, view));
    }
  });

  it('draws counts and sizes evenly', () => {
    const counts = [0, 0, 0, 0];
    let large = 0;
    let objects = 0;
    for (const seed of SEEDS) {
      const scene = generateScene(seed);
      counts[scene.objects.length - 1]!++;
      objects += scene.objects.length;
      large += scene.objects.filter((o) => o.size === 'large').length;
    }
    for (const c of counts) expect(c / SEEDS.length).toBeGreaterThan(0.18);
    expect(large / objects).toBeGreaterThan(0.4);
    expect(large / objects).toBeLessThan(0.6);
  });

  it('keeps a near pair at 3-6 px and a far pair at >= 14 px horizontally', () => {
    for (const seed of SEEDS) {
      const { objects } = generateScene(seed);
      for (const a of objects)
        for (const b of objects) if (a !== b) expect(separationClass(a.x - b.x)).toBeDefined();
    }
  });

  it('rejects bad seeds and bad scenes with a typed error', () => {
    for (const seed of [-1, 1.5, Number.NaN, 2 ** 32]) {
      expect(() => generateScene(seed)).toThrow(SceneError);
    }
    expect(Exported).toBe(SceneError);
    const scene = generateScene(5);
    const twin = { ...scene, objects: [scene.objects[0]!, { ...scene.objects[0]!, x: 3 }] };
    let error: unknown;
    try {
      validateScene(twin);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SceneError);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as SceneError).code).toBe('DATASET');
    expect(() => sceneView(twin, 1)).toThrow(SceneError);
  });
});
