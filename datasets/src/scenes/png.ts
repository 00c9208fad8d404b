import { encode } from 'fast-png';
import { SceneError } from './errors.js';
import type { SceneImage } from './render.js';

/** 8-bit RGB bytes of an image (round to nearest, clamped to [0, 255]): exactly what encodePng stores. */
export function quantiseImage(image: SceneImage): Uint8Array {
  const expected = image.width * image.height * 3;
  if (image.pixels.length !== expected) {
    throw new SceneError(
      'image',
      `${image.pixels.length} values for a ${image.width}x${image.height} RGB image`,
    );
  }
  const out = new Uint8Array(expected);
  for (let i = 0; i < expected; i++) out[i] = Math.min(255, Math.max(0, Math.round(image.pixels[i]! * 255)));
  return out;
}

/** PNG bytes (8-bit RGB) of an image, for reports and HTML pages; fast-png runs in Node and browsers. */
export function encodePng(image: SceneImage): Uint8Array {
  return encode({
    width: image.width,
    height: image.height,
    data: quantiseImage(image),
    channels: 3,
    depth: 8,
  });
}
