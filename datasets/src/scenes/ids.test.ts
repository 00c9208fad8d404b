import { describe, expect, it } from 'vitest';
import { DatasetError } from '../errors.js';
import { SceneError, SceneImageIdError } from './errors.js';
import { generateScene } from './generate.js';
import { parseSceneImageId, renderSceneImage, sceneImageId } from './ids.js';
import { renderScene } from './render.js';
import { SCENE_SPLITS, sceneSeeds } from './splits.js';

describe('scene image ids', () => {
  it('round-trip', () => {
    expect(sceneImageId(12)).toBe('scene/12/0');
    expect(sceneImageId(1_000_004, 3)).toBe('scene/1000004/3');
    for (const [seed, view] of [
      [0, 0],
      [7, 1],
      [2_004_999, 12],
      [0xffffffff, 0xffffffff],
    ] as const) {
      expect(parseSceneImageId(sceneImageId(seed, view))).toEqual({ seed, view });
    }
  });

  it('reject malformed ids with a typed error naming the id', () => {
    const bad = [
      '',
      'scene/1',
      'scene/1/0/',
      'Scene/1/0',
      'scene/01/0',
      'scene/1/00',
      'scene/-1/0',
      'scene/1.5/0',
    ];
    for (const id of [...bad, 'scene/4294967296/0', 'scene/0/4294967296', ' scene/1/0']) {
      let error: unknown;
      try {
        parseSceneImageId(id);
      } catch (e) {
        error = e;
      }
      expect(error, id).toBeInstanceOf(SceneImageIdError);
      expect(error).toBeInstanceOf(SceneError);
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as SceneImageIdError).id).toBe(id);
      expect((error as Error).message).toContain(`${id}:`);
      expect(() => renderSceneImage(id)).toThrow(SceneImageIdError);
    }
    expect(() => sceneImageId(-1)).toThrow(SceneError);
    expect(() => sceneImageId(1, 0.5)).toThrow(SceneError);
  });

  it('renderSceneImage draws the scene of the id', () => {
    expect(renderSceneImage('scene/9/2').pixels).toEqual(renderScene(generateScene(9), 2).pixels);
  });
});

describe('scene splits', () => {
  it('are disjoint seed ranges', () => {
    const ranges = Object.values(SCENE_SPLITS).sort((a, b) => a.first - b.first);
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i - 1]!.first + ranges[i - 1]!.count).toBeLessThanOrEqual(ranges[i]!.first);
    }
  });

  it('hand out the first n seeds, all by default, and refuse more than the split holds', () => {
    expect(sceneSeeds('eval', 3)).toEqual([1_000_000, 1_000_001, 1_000_002]);
    expect(sceneSeeds('locality').length).toBe(SCENE_SPLITS.locality.count);
    expect(sceneSeeds('train', 0)).toEqual([]);
    expect(() => sceneSeeds('eval', SCENE_SPLITS.eval.count + 1)).toThrow(SceneError);
    expect(() => sceneSeeds('eval', -1)).toThrow(SceneError);
    expect(() => sceneSeeds('nope' as 'eval')).toThrow(SceneError);
  });
});
