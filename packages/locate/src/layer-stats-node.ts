// Layer statistics in Node: cached as .npz files (ROME/EasyEdit's layout) in the user's cache folder, and
// computed by default from the default model's pretraining corpus, which is built from dataset files on disk.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { userCacheDir } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { buildCorpus, defaultPreset } from '@llmedit/pretrained';
import {
  type LayerStats,
  type LayerStatsOptions,
  type LayerStatsStore,
  layerStatsFrom,
} from './layer-stats.js';

/**
 * The default statistics folder: `stats` in the user's llmedit cache folder ($LLMEDIT_CACHE_DIR, else
 * $XDG_CACHE_HOME/llmedit, else ~/.cache/llmedit), so that no run writes into the working folder; undefined
 * without one (statistics then stay in memory).
 */
export function defaultStatsDir(): string | undefined {
  const dir = userCacheDir('stats');
  return dir === undefined ? undefined : resolve(dir);
}

/** The .npz path of a layer's statistics in `dir` (ROME/EasyEdit's naming). */
export function layerStatsPath(
  dir: string,
  modelName: string,
  dataset: string,
  module: string,
  samples: number,
): string {
  return join(dir, modelName, `${dataset}_stats`, `${module}_float32_mom2_${samples}.npz`);
}

let defaultTexts: readonly string[] | undefined;

const FILE_STORE: LayerStatsStore = {
  defaultDir: defaultStatsDir,
  path: layerStatsPath,
  read: async (path) => (existsSync(path) ? new Uint8Array(await readFile(path)) : undefined),
  write: async (path, bytes) => {
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  },
  defaultTexts: () => {
    defaultTexts ??= buildCorpus({
      seed: defaultPreset.corpus.seed,
      prefixFraction: defaultPreset.corpus.prefixFraction,
    }).documents;
    return defaultTexts;
  },
};

/**
 * The second moment E[k k^T] of each layer's MLP keys: from memory, else from the cache folder, else
 * computed in one pass over the corpus for all missing layers and written to the cache (atomically).
 *
 * @example
 * const stats = await layerStats(model, [1], { samples: 20000 });
 * stats.get(1)?.mom2; // Float64Array, 512 x 512 for the default model
 */
export function layerStats(
  model: CausalLM,
  layers: readonly number[],
  options: LayerStatsOptions = {},
): Promise<Map<number, LayerStats>> {
  return layerStatsFrom(FILE_STORE, model, layers, options);
}
