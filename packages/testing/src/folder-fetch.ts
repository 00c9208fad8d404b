import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchLike } from '@llmedit/models';

/**
 * A `fetch` for the browser loaders' tests: serves the files of the folder `dir` at the URL `base` (404 for
 * a missing file or another URL), with `overrides` replacing files (bytes) or removing them (undefined).
 */
export function folderFetch(
  base: string,
  dir: string,
  overrides: ReadonlyMap<string, Uint8Array | undefined> = new Map(),
): FetchLike {
  return async (url) => {
    const name = url.startsWith(base) ? url.slice(base.length) : undefined;
    let bytes: Uint8Array | undefined;
    if (name !== undefined && overrides.has(name)) bytes = overrides.get(name);
    else if (name !== undefined) {
      try {
        bytes = new Uint8Array(readFileSync(join(dir, name)));
      } catch {
        bytes = undefined;
      }
    }
    return {
      ok: bytes !== undefined,
      status: bytes === undefined ? 404 : 200,
      arrayBuffer: async () => (bytes ?? new Uint8Array()).slice().buffer,
      text: async () => new TextDecoder().decode(bytes),
    };
  };
}
