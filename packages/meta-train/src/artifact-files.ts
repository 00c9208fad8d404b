import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CausalLM, readSafetensors, writeSafetensors } from '@llmedit/models';

/** Host copies of tensors, by name: a trained editor's saved form. */
export type HostTensors = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * A trained editor's folder: `<configFile>` (JSON with `format`, `version`, `baseModelId`, hyperparameters and
 * the training report) and `<tensorsFile>` (safetensors). `fail` builds the method's typed error.
 */
export interface ArtifactLayout {
  readonly format: string;
  readonly version: number;
  readonly configFile: string;
  readonly tensorsFile: string;
  /** The command that trains one, for the messages. */
  readonly trainCommand: string;
  readonly fail: (dir: string, message: string) => Error;
}

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
  let config: C;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as C;
  } catch (error) {
    throw layout.fail(dir, `${layout.configFile} is not JSON: ${(error as Error).message}`);
  }
  if (config.format !== layout.format) {
    throw layout.fail(
      dir,
      `${layout.configFile} has format ${JSON.stringify(config.format)}, expected '${layout.format}'`,
    );
  }
  if (config.version !== layout.version) {
    throw layout.fail(
      dir,
      `is version ${config.version}; this package reads version ${layout.version} (train it again)`,
    );
  }
  return config;
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
