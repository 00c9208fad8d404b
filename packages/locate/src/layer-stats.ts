// Uncentred second moment of MLP keys, C = E[k k^T] (Meng et al. 2022, ROME, eq. 2 and appendix E.5;
// Meng et al. 2023, MEMIT, eq. 14, C0 = lambda E[k k^T]), estimated by streaming a text corpus through the
// model; stored in ROME's .npz layout (sum 'mom2.mom2', token count 'mom2.count').
//
// This module has no file system and no default corpus (browser-safe); `layer-stats-node.ts` (the package's
// Node entry) adds the cache folder and the default corpus, which needs the dataset files on disk.
import { InvalidHparamsError, LlmeditError, type Tensor, tf } from '@llmedit/core';
import {
  type CausalLM,
  chunkByTokens,
  type FetchLike,
  fetchOptional,
  fileUrl,
  padBatch,
} from '@llmedit/models';
import { factorSpd, type SpdFactor } from './linalg/cholesky.js';
import { readNpz, writeNpz } from './npz/npz.js';

/** The second moment of one layer's MLP keys. */
export interface LayerStats {
  readonly layer: number;
  /** Key width (the MLP output projection's input size). */
  readonly dim: number;
  /** Number of key vectors (tokens) averaged. */
  readonly count: number;
  /** E[k k^T], row-major dim x dim, float64. */
  readonly mom2: Float64Array;
  /** Where the numbers came from this time. */
  readonly source: 'computed' | 'file' | 'memory';
  /** The .npz file, when a cache folder is used. */
  readonly path?: string;
}

/** A statistics file exists but does not hold what the model needs. */
export class LayerStatsError extends LlmeditError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LAYER_STATS', message, options);
  }
}

export interface LayerStatsOptions {
  /**
   * Documents streamed through the model (EasyEdit `mom2_n_samples`; fewer when the corpus is smaller).
   * Default 100,000, as EasyEdit.
   */
  readonly samples?: number;
  /**
   * The text source; default: the documents of the default model's pretraining corpus
   * (`buildCorpus` with the default preset's seed and prefix fraction), which plays Wikipedia's role.
   */
  readonly texts?: readonly string[] | (() => readonly string[]);
  /** Name of the text source in the cache path (EasyEdit `mom2_dataset`). Default 'llmedit-corpus'. */
  readonly dataset?: string;
  /**
   * Cache folder: files live at `<dir>/<modelName>/<dataset>_stats/<module>_float32_mom2_<samples>.npz`,
   * ROME/EasyEdit's layout, so existing EasyEdit statistics load when `modelName` and `dataset` match.
   * Default: `stats` in the user's llmedit cache folder (`userCacheDir('stats')` of core: $LLMEDIT_CACHE_DIR,
   * else $XDG_CACHE_HOME/llmedit, else ~/.cache/llmedit); no files where there is none (a browser); false: no
   * files.
   */
  readonly cacheDir?: string | false;
  /** Model folder name in the cache path. Default: the model's content hash (`model.modelId`). */
  readonly modelName?: string;
  /** Padded tokens per forward. Default 4096. */
  readonly maxBatchTokens?: number;
  /**
   * Called after each chunk of a statistics pass with the documents processed so far (the first pass over
   * the default corpus takes half a minute on the default model; nothing is called when every layer comes
   * from memory or a file).
   */
  readonly onProgress?: (done: number, total: number) => void;
}

const memory = new Map<string, LayerStats>();
const factors = new WeakMap<Float64Array, SpdFactor>();

/** Forget the statistics kept in memory (files stay). */
export function clearLayerStatsMemory(): void {
  memory.clear();
}

/** The module name ROME uses in file names: the MLP output projection without '.weight'. */
export function statsModuleName(model: CausalLM, layer: number): string {
  return model.layout.mlpOutProjection(layer).name.replace(/\.weight$/, '');
}

/**
 * Where statistics files live and where the default corpus comes from: the file system and the pretraining
 * corpus in Node (`layer-stats-node.ts`), nothing in a browser (statistics come from memory, from
 * `loadLayerStatsFrom`, or are computed from `options.texts`).
 */
export interface LayerStatsStore {
  /** The cache folder when `options.cacheDir` is absent; undefined: no files. */
  defaultDir(): string | undefined;
  /** The file of one layer's statistics in `dir` (ROME/EasyEdit's naming). */
  path(dir: string, modelName: string, dataset: string, module: string, samples: number): string;
  /** The file's bytes, or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Write the file atomically (creating its folder). */
  write(path: string, bytes: Uint8Array): Promise<void>;
  /** The documents used when `options.texts` is absent; undefined: there is no default corpus here. */
  defaultTexts: (() => readonly string[]) | undefined;
}

/** No files and no default corpus: what a browser has. */
export const MEMORY_ONLY_STORE: LayerStatsStore = {
  defaultDir: () => undefined,
  path: (dir, modelName, dataset, module, samples) =>
    `${dir}/${modelName}/${dataset}_stats/${module}_float32_mom2_${samples}.npz`,
  read: async () => undefined,
  write: async () => {},
  defaultTexts: undefined,
};

function corpusTexts(options: LayerStatsOptions, store: LayerStatsStore): readonly string[] {
  if (options.texts !== undefined) {
    return typeof options.texts === 'function' ? options.texts() : options.texts;
  }
  if (store.defaultTexts === undefined) {
    throw new LayerStatsError(
      'no statistics corpus in this runtime (the default corpus is built from dataset files on disk): ' +
        'pass options.texts, or load shipped statistics first with loadLayerStatsFrom',
    );
  }
  return store.defaultTexts();
}

/** Encode the ROME/EasyEdit .npz bytes of one layer's statistics (float32 sum, int64 count). */
export function encodeLayerStats(stats: Pick<LayerStats, 'dim' | 'count' | 'mom2'>): Uint8Array {
  const sum = new Float32Array(stats.mom2.length);
  for (let i = 0; i < sum.length; i++) sum[i] = (stats.mom2[i] as number) * stats.count;
  return writeNpz([
    ['mom2.mom2', { dtype: 'float32', shape: [stats.dim, stats.dim], data: sum }],
    ['mom2.count', { dtype: 'int64', shape: [], data: [stats.count] }],
  ]);
}

/** Decode ROME/EasyEdit .npz statistics bytes into E[k k^T]; checks the width when `dim` is given. */
export function decodeLayerStats(
  bytes: Uint8Array,
  source = 'stats file',
  dim?: number,
): { dim: number; count: number; mom2: Float64Array } {
  let arrays: ReturnType<typeof readNpz>;
  try {
    arrays = readNpz(bytes);
  } catch (error) {
    throw new LayerStatsError(`${source}: ${(error as Error).message}`, { cause: error });
  }
  const sum = arrays.get('mom2.mom2');
  const countArray = arrays.get('mom2.count');
  if (sum === undefined || countArray === undefined) {
    throw new LayerStatsError(`${source}: expected the arrays 'mom2.mom2' and 'mom2.count' (ROME's layout)`);
  }
  const n = sum.shape[0] ?? 0;
  if (sum.shape.length !== 2 || sum.shape[1] !== n || typeof sum.data[0] !== 'number') {
    throw new LayerStatsError(`${source}: 'mom2.mom2' must be a square numeric matrix, got [${sum.shape}]`);
  }
  if (dim !== undefined && n !== dim) {
    throw new LayerStatsError(`${source}: 'mom2.mom2' is ${n} x ${n}, the layer's keys have width ${dim}`);
  }
  const count = Number(countArray.data[0]);
  if (!(count > 0)) throw new LayerStatsError(`${source}: 'mom2.count' must be positive, got ${count}`);
  const values = sum.data as ArrayLike<number>;
  const mom2 = new Float64Array(n * n);
  for (let i = 0; i < mom2.length; i++) mom2[i] = (values[i] as number) / count;
  return { dim: n, count, mom2 };
}

/**
 * Accumulate sum k k^T and the token count for several layers in one pass over `texts` (every real token
 * of every document, truncated to the model's positions), in float64 between chunks.
 */
export function accumulateSecondMoments(
  model: CausalLM,
  layers: readonly number[],
  texts: readonly string[],
  options: Pick<LayerStatsOptions, 'maxBatchTokens' | 'onProgress'> = {},
): Map<number, { dim: number; count: number; sum: Float64Array }> {
  const tokenizer = model.requireTokenizer();
  const dim = model.layout.mlpKeySize;
  const bos = tokenizer.bosTokenId ?? model.config.bosTokenId;
  const prependBos = model.config.architecture === 'llama' && bos !== undefined;
  const maxLength = model.config.maxPositions;
  const sequences = texts
    .map((text) => {
      const ids = tokenizer.encode(text);
      return (prependBos ? [bos as number, ...ids] : ids).slice(0, maxLength);
    })
    .filter((ids) => ids.length > 0);
  const sums = new Map(layers.map((layer) => [layer, new Float64Array(dim * dim)]));
  let count = 0;
  let done = 0;
  const lastLayer = Math.max(...layers);
  const points = layers.map((layer) => model.layout.mlpKey(layer));
  for (const chunk of chunkByTokens(
    sequences.map((s) => s.length),
    options.maxBatchTokens ?? 4096,
  )) {
    const batch = padBatch(
      chunk.map((i) => sequences[i] as number[]),
      model.padTokenId,
      'right',
    );
    const length = batch.ids[0]?.length ?? 0;
    const real: number[] = [];
    batch.attentionMask.forEach((mask, row) => {
      mask.forEach((m, t) => {
        if (m === 1) real.push(row * length + t);
      });
    });
    const products: Tensor[] = tf.tidy(() => {
      const { captured } = model.forward(batch, {
        stopAfterLayer: lastLayer,
        hooks: points.map((point) => ({ point, capture: true })),
      });
      const index = tf.tensor1d(Int32Array.from(real), 'int32');
      return points.map((point) => {
        const keys = tf.gather(tf.reshape(captured[point.key] as Tensor, [-1, dim]), index);
        return tf.matMul(keys, keys, true, false);
      });
    });
    layers.forEach((layer, p) => {
      const values = (products[p] as Tensor).dataSync();
      const sum = sums.get(layer) as Float64Array;
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (values[i] as number);
    });
    tf.dispose(products);
    count += real.length;
    done += chunk.length;
    options.onProgress?.(done, sequences.length);
  }
  return new Map(layers.map((layer) => [layer, { dim, count, sum: sums.get(layer) as Float64Array }]));
}

/**
 * The second moment E[k k^T] of each layer's MLP keys, where there is no file system (a browser): from memory
 * (`loadLayerStatsFrom` puts shipped statistics there), else computed from `options.texts`. Node resolves
 * `layerStats` to the entry that adds the cache folder and the default corpus (`layer-stats-node.ts`).
 *
 * @example
 * const stats = await layerStats(model, [1], { texts: documents, samples: 20000 });
 */
export function layerStats(
  model: CausalLM,
  layers: readonly number[],
  options: LayerStatsOptions = {},
): Promise<Map<number, LayerStats>> {
  return layerStatsFrom(MEMORY_ONLY_STORE, model, layers, options);
}

/** `layerStats` with the files and default corpus of `store`. */
export async function layerStatsFrom(
  store: LayerStatsStore,
  model: CausalLM,
  layers: readonly number[],
  options: LayerStatsOptions = {},
): Promise<Map<number, LayerStats>> {
  const samples = options.samples ?? 100_000;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new InvalidHparamsError('mom2NSamples', `must be a positive integer, got ${samples}`);
  }
  const dataset = options.dataset ?? 'llmedit-corpus';
  const modelName = options.modelName ?? model.modelId;
  const dir = options.cacheDir === false ? undefined : (options.cacheDir ?? store.defaultDir());
  const dim = model.layout.mlpKeySize;
  const result = new Map<number, LayerStats>();
  const missing: number[] = [];
  for (const layer of [...new Set(layers)]) {
    model.layout.mlpKey(layer); // validates the layer
    const memoryKey = `${modelName}|${dataset}|${layer}|${samples}`;
    const kept = memory.get(memoryKey);
    if (kept !== undefined) {
      result.set(layer, { ...kept, source: 'memory' });
      continue;
    }
    const path =
      dir === undefined
        ? undefined
        : store.path(dir, modelName, dataset, statsModuleName(model, layer), samples);
    const bytes = path === undefined ? undefined : await store.read(path);
    if (path !== undefined && bytes !== undefined) {
      const decoded = decodeLayerStats(bytes, path, dim);
      const stats: LayerStats = { layer, ...decoded, source: 'file', path };
      memory.set(memoryKey, stats);
      result.set(layer, stats);
      continue;
    }
    missing.push(layer);
  }
  if (missing.length > 0) {
    const texts = corpusTexts(options, store).slice(0, samples);
    if (texts.length === 0) throw new LayerStatsError('the statistics corpus has no documents');
    const moments = accumulateSecondMoments(model, missing, texts, options);
    for (const layer of missing) {
      const { count, sum } = moments.get(layer) as { dim: number; count: number; sum: Float64Array };
      // Round through the file format, so that a first run and a later run from the cache edit alike.
      const bytes = encodeLayerStats({ dim, count, mom2: sum.map((value) => value / count) });
      const { mom2 } = decodeLayerStats(bytes, 'computed statistics', dim);
      const path =
        dir === undefined
          ? undefined
          : store.path(dir, modelName, dataset, statsModuleName(model, layer), samples);
      if (path !== undefined) await store.write(path, bytes);
      const stats: LayerStats = { layer, dim, count, mom2, source: 'computed', ...(path ? { path } : {}) };
      memory.set(`${modelName}|${dataset}|${layer}|${samples}`, { ...stats });
      result.set(layer, stats);
    }
  }
  return result;
}

/** The Cholesky factor of C (cached per statistics object), for ROME's C^-1 k. */
export function secondMomentFactor(stats: LayerStats): SpdFactor {
  let factor = factors.get(stats.mom2);
  if (factor === undefined) {
    factor = factorSpd(stats.mom2, stats.dim);
    factors.set(stats.mom2, factor);
  }
  return factor;
}

export interface LoadLayerStatsFromOptions {
  /** The sample count in the file names (EasyEdit `mom2_n_samples`, the preset's `mom2NSamples`). Default 100,000. */
  readonly samples?: number;
  /** The text source's name in the file names (EasyEdit `mom2_dataset`). Default 'llmedit-corpus'. */
  readonly dataset?: string;
  /** The fetch to use; default the global `fetch`. */
  readonly fetch?: FetchLike;
}

/**
 * Fetch statistics files served at `base` (`<dataset>_stats/<module>_float32_mom2_<samples>.npz`, ROME's
 * layout, as `@llmedit/pretrained` ships them in `checkpoints/<name>/stats/`) and keep them in memory for
 * `model`, so that a later `layerStats` (ROME, MEMIT) with the same samples and dataset finds them there: how
 * a browser page, which has no corpus files and no cache folder, edits with ROME and MEMIT. A layer whose file
 * is missing is left out of the result (its statistics would then be computed from `options.texts`).
 *
 * @example
 * await loadLayerStatsFrom(model, '/checkpoints/default/stats/', [0, 1, 2]);
 */
export async function loadLayerStatsFrom(
  model: CausalLM,
  base: string | URL,
  layers: readonly number[],
  options: LoadLayerStatsFromOptions = {},
): Promise<Map<number, LayerStats>> {
  const samples = options.samples ?? 100_000;
  const dataset = options.dataset ?? 'llmedit-corpus';
  const get: FetchLike = options.fetch ?? ((url) => fetch(url));
  const dim = model.layout.mlpKeySize;
  const result = new Map<number, LayerStats>();
  for (const layer of [...new Set(layers)]) {
    model.layout.mlpKey(layer); // validates the layer
    const url = fileUrl(
      base,
      `${dataset}_stats/${statsModuleName(model, layer)}_float32_mom2_${samples}.npz`,
    );
    const bytes = await fetchOptional(get, url);
    if (bytes === undefined) continue;
    const stats: LayerStats = { layer, ...decodeLayerStats(bytes, url, dim), source: 'file', path: url };
    memory.set(`${model.modelId}|${dataset}|${layer}|${samples}`, stats);
    result.set(layer, stats);
  }
  return result;
}
