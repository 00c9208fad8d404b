// A trained editor's folder on disk (Node): write, read, and a per-model cache of loaded folders.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CausalLM, readSafetensors, writeSafetensors } from '@llmedit/models';
import { parseArtifactConfig } from './artifact-kind.js';
import type { ArtifactLayout, HostTensors } from './artifact-layout.js';

export type { ArtifactLayout, HostTensors } from './artifact-layout.js';

/** Write the config JSON and the tensors. */
export function writeArtifactFiles(
  layout: ArtifactLayout,
  dir: string,
  config: object,
  tensors: HostTensors,
): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, layout.tensorsFile), tensors);
  writeFileSync(join(dir, layout.configFile), `${JSON.stringify(config, null, 2)}\n`);
}

/** Read and check a saved config (its format and version) without loading the tensors. */
export function readArtifactConfig<C extends { format: string; version: number }>(
  layout: ArtifactLayout,
  dir: string,
): C {
  const path = join(dir, layout.configFile);
  if (!existsSync(path)) {
    throw layout.fail(dir, `has no ${layout.configFile} (train one: ${layout.trainCommand})`);
  }
  return parseArtifactConfig<C>(layout, dir, readFileSync(path, 'utf8'));
}

/** Read the saved tensors as host copies. */
export function readArtifactTensors(layout: ArtifactLayout, dir: string): HostTensors {
  const path = join(dir, layout.tensorsFile);
  if (!existsSync(path)) throw layout.fail(dir, `has no ${layout.tensorsFile}`);
  return new Map(
    [...readSafetensors(path)].map(([name, t]) => [
      name,
      { shape: [...t.shape], data: Float32Array.from(t.data) },
    ]),
  );
}

/**
 * Artifacts loaded from folders, per model and folder, so that a sequence of edits reads a trained editor
 * once; `release(model)` frees those of a model.
 */
export function artifactCache<A extends { dispose(): void }>(load: (dir: string, model: CausalLM) => A) {
  const loaded = new WeakMap<CausalLM, Map<string, A>>();
  return {
    get(model: CausalLM, dir: string): A {
      const folder = resolve(dir);
      let cache = loaded.get(model);
      const hit = cache?.get(folder);
      if (hit !== undefined) return hit;
      const fresh = load(folder, model);
      if (cache === undefined) {
        cache = new Map();
        loaded.set(model, cache);
      }
      cache.set(folder, fresh);
      return fresh;
    },
    release(model: CausalLM): void {
      for (const artifact of loaded.get(model)?.values() ?? []) artifact.dispose();
      loaded.delete(model);
    },
  };
}
