// Where a package finds the files it ships beside its code (checkpoints, trained artifacts). Node only.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmeditError } from '@llmedit/core';

/**
 * The folder of the package that holds the module at `here` (its `import.meta.url`): the nearest folder
 * above it with a package.json. The same from TypeScript sources and from the ESM and CJS builds.
 */
export function packageFolder(here: string): string {
  let dir = dirname(fileURLToPath(here));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new LlmeditError('PACKAGE_FOLDER', `no package.json in any folder above ${here}`);
    dir = parent;
  }
  return dir;
}
