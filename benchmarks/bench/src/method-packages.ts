import { readFileSync } from 'node:fs';
import type { AnyEditMethod } from '@llmedit/core';

/** The bench's own manifest: its `@llmedit/*` dependencies are where registered methods come from. */
function benchDependencies(): string[] {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@llmedit/'));
}

/**
 * Which package each method comes from (method id -> package name), found by identity among the exports
 * of the bench's `@llmedit/*` dependencies, so that nothing is listed by hand: a method added with `pnpm
 * new-method` is found as soon as the bench depends on its package. Methods from no dependency (test
 * doubles) are left out.
 */
export async function methodPackages(methods: readonly AnyEditMethod[]): Promise<Map<string, string>> {
  const wanted = new Set<unknown>(methods);
  const found = new Map<string, string>();
  for (const name of benchDependencies()) {
    const exports = (await import(name)) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (wanted.has(value)) found.set((value as AnyEditMethod).id, name);
    }
  }
  return found;
}
