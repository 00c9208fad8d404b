import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { readFloat32InPlace } from './backend-memory.js';

describe('readFloat32InPlace', () => {
  afterAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`reads a float32 tensor's data where ${backend} keeps it`, async () => {
      await initBackend({ prefer: [backend] });
      const t = tf.tensor2d([
        [1, 2],
        [3, 4],
      ]);
      const view = readFloat32InPlace(t);
      expect(Array.from(view)).toEqual([1, 2, 3, 4]);
      // The same memory, not a copy: a second read sees the same array region.
      const again = readFloat32InPlace(t);
      expect(again.buffer).toBe(view.buffer);
      expect(again.byteOffset).toBe(view.byteOffset);
      t.dispose();
    });
  }

  it('refuses other dtypes', async () => {
    await initBackend({ prefer: ['wasm'] });
    const t = tf.tensor1d([1, 2], 'int32');
    expect(() => readFloat32InPlace(t)).toThrow(/int32/);
    t.dispose();
  });
});
