import { type NpyArray, readNpy, writeNpy } from './npy.js';
import { readZip, writeZip } from './zip.js';

/**
 * The arrays of an .npz archive (numpy.savez / savez_compressed) by name, without the '.npy' suffix:
 * ROME's layer statistics hold 'mom2.mom2', 'mom2.count' and, as strings, 'mom2.constructor'.
 */
export function readNpz(bytes: Uint8Array): Map<string, NpyArray> {
  const arrays = new Map<string, NpyArray>();
  for (const entry of readZip(bytes)) {
    arrays.set(entry.name.replace(/\.npy$/, ''), readNpy(entry.data));
  }
  return arrays;
}

/** An uncompressed .npz archive (what numpy.savez writes), entries in the given order. */
export function writeNpz(arrays: Iterable<readonly [string, NpyArray]>): Uint8Array {
  return writeZip([...arrays].map(([name, array]) => ({ name: `${name}.npy`, data: writeNpy(array) })));
}
