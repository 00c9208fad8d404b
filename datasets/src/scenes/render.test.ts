import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { generateScene } from './generate.js';
import { encodePng, quantiseImage } from './png.js';
import { renderScene, type SceneImage } from './render.js';
import { sceneView } from './view.js';
import { SCENE_BACKGROUND, SCENE_COLOURS, SCENE_RGB, SCENE_SIZE } from './vocabulary.js';

/** FNV-1a over the 8-bit bytes: a fingerprint of an image, pinned below to catch any change of the renderer. */
function fingerprint(image: SceneImage): string {
  let hash = 0x811c9dc5;
  for (const byte of quantiseImage(image)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

const at = (image: SceneImage, x: number, y: number) => {
  const p = (Math.floor(y) * image.width + Math.floor(x)) * 3;
  return [image.pixels[p]!, image.pixels[p + 1]!, image.pixels[p + 2]!];
};

/** The nearest palette entry (colour words plus 'background') by squared RGB distance. */
function classify(rgb: readonly number[]): string {
  const palette: [string, readonly number[]][] = [
    ...SCENE_COLOURS.map((c) => [c, SCENE_RGB[c]] as [string, readonly number[]]),
    ['background', [SCENE_BACKGROUND, SCENE_BACKGROUND, SCENE_BACKGROUND]],
  ];
  let best = '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [label, ref] of palette) {
    const d = ref.reduce((sum, v, c) => sum + (v - rgb[c]!) ** 2, 0);
    if (d < bestDistance) [best, bestDistance] = [label, d];
  }
  return best;
}

describe('renderScene', () => {
  it('returns a 64x64 HWC RGB image in [0, 1], identical on every call', () => {
    const scene = generateScene(42);
    for (const view of [0, 1]) {
      const a = renderScene(scene, view);
      expect(a.width).toBe(SCENE_SIZE);
      expect(a.height).toBe(SCENE_SIZE);
      expect(a.pixels.length).toBe(SCENE_SIZE * SCENE_SIZE * 3);
      expect(a.pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(renderScene(generateScene(42), view).pixels).toEqual(a.pixels);
    }
    expect(renderScene(scene, 1).pixels).not.toEqual(renderScene(scene, 2).pixels);
  });

  it('pins the pixels of a few images (a change would silently change stored image ids)', () => {
    const prints = [0, 1, 2_000_000].flatMap((seed) =>
      [0, 1].map((v) => fingerprint(renderScene(generateScene(seed), v))),
    );
    expect(prints).toMatchInlineSnapshot(`
      [
        "62601aa9",
        "da455a2f",
        "777b9653",
        "7be76f00",
        "d1d93743",
        "58cfb7bf",
      ]
    `);
  });

  it('draws each object in its colour at its centre and leaves the canvas corners background, in every view', () => {
    for (let seed = 0; seed < 60; seed++) {
      const scene = generateScene(seed);
      for (const view of [0, 1, 2]) {
        const image = renderScene(scene, view);
        for (const o of sceneView(scene, view).objects) {
          // The centre pixel's top-left corner is on the shape for all four shapes; sample just inside it.
          expect(classify(at(image, o.x, o.y)), `${seed}/${view} ${o.colour} ${o.shape}`).toBe(o.colour);
        }
        for (const [x, y] of [
          [0, 0],
          [63, 0],
          [0, 63],
          [63, 63],
        ]) {
          expect(classify(at(image, x!, y!))).toBe('background');
        }
      }
    }
  });

  it('view 0 is exact: flat background and the palette colour inside shapes', () => {
    const scene = generateScene(7);
    const image = renderScene(scene, 0);
    expect(at(image, 0, 0)).toEqual([0.2, 0.2, 0.2].map(Math.fround));
    const o = scene.objects[0]!;
    expect(at(image, o.x, o.y)).toEqual(SCENE_RGB[o.colour].map(Math.fround));
  });
});

describe('encodePng', () => {
  it('round-trips through fast-png to the 8-bit quantised pixels', () => {
    const image = renderScene(generateScene(3), 2);
    const png = encodePng(image);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const decoded = decode(png);
    expect(decoded.width).toBe(SCENE_SIZE);
    expect(decoded.height).toBe(SCENE_SIZE);
    expect(decoded.channels).toBe(3);
    expect(decoded.depth).toBe(8);
    const expected = Uint8Array.from(image.pixels, (v) => Math.round(v * 255));
    expect(Uint8Array.from(decoded.data)).toEqual(expected);
    expect(quantiseImage(image)).toEqual(expected);
  });
});
