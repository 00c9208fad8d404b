import { type AnyEditMethod, type EditRequest, MissingPresetError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import type { BenchDataset } from './flags.js';
import type { PublishedNames } from './published.js';

/** The model being benchmarked, as method entries see it when they choose hyperparameters. */
export interface BenchModel {
  model: CausalLM;
  /** 'default' or 'micro' for the committed checkpoints, else the model folder's path. */
  name: string;
  /**
   * Key of the per-model hyperparameter presets: the checkpoint name ('default', 'micro'), or the
   * architecture ('gpt2', 'llama') for a user's Hugging Face folder.
   */
  preset: string;
}

/** What a one-time setup (training a hypernetwork, layer statistics) gets. */
export interface PrepareInput {
  bench: BenchModel;
  dataset: BenchDataset;
  /** The method's hyperparameters for this model (after `hparams.parse`). */
  hparams: unknown;
  /** The data set's training split (never the evaluated records). */
  trainingRequests(): EditRequest[];
  seed: number;
  signal: AbortSignal | undefined;
}

/** What a one-time setup returns: what it did (for Table C) and the artifact `doEdit` receives. */
export interface Prepared {
  /** What the cost is, e.g. 'layer statistics (100k tokens)' or 'MEND training (2000 requests)'. */
  label: string;
  artifact?: unknown;
  /** Whether the work was found in a cache (its time then understates the real one-time cost). */
  cached?: boolean;
  /** Free what the artifact holds (a loaded model); called once when the run of this method and data set ends. */
  release?(): void;
}

/** One entry of the benchmark's method list (src/methods.ts). */
export interface BenchMethod {
  method: AnyEditMethod;
  /** Names of the method in the published tables, for the published columns and the rank agreement. */
  published: PublishedNames;
  /**
   * Hyperparameters for this model, merged over the method's defaults; undefined: the defaults. `smoke` is
   * set for `--smoke` runs, which check the pipeline, not the numbers: an entry may make its one-time costs
   * cheaper there (and must say so in the package README).
   */
  hparams?(bench: BenchModel, run: { smoke: boolean }): Readonly<Record<string, unknown>> | undefined;
  /**
   * A one-time cost, run once per (model, data set) before the first edit and timed for Table C. Methods
   * that declare `requiresTraining` get `doPrepare` on the training split when this is absent. Resolves to
   * undefined when there is nothing to do for these hyperparameters.
   */
  prepare?(input: PrepareInput): Promise<Prepared | undefined>;
}

/** Declare a method entry (keeps its types; adds nothing at run time). */
export function benchMethod(
  method: AnyEditMethod,
  published: PublishedNames,
  options: Omit<BenchMethod, 'method' | 'published'> = {},
): BenchMethod {
  return { method, published, ...options };
}

/**
 * Hyperparameters from a method package's per-model presets (`hparams/<model>.json`): the preset named like
 * the model (checkpoint name, or architecture for a user's folder). No other model's preset stands in: a
 * model without one is a `MissingPresetError` naming the method and the model (the run of that method
 * fails with it). `key` picks one method's entry in packages whose presets hold several methods (FT's
 * { 'ft-l': ..., 'ft-m': ... }); `methodId` names the method in the error (default `key`).
 */
export function fromPresets(
  presets: Readonly<Record<string, unknown>>,
  key?: string,
  methodId: string = key ?? '(method)',
): Pick<BenchMethod, 'hparams'> {
  return {
    hparams({ preset }) {
      const own = Object.hasOwn(presets, preset) ? presets[preset] : undefined;
      const value =
        own === undefined || own === null || key === undefined ? own : (own as Record<string, unknown>)[key];
      if (value === undefined || value === null) {
        throw new MissingPresetError(methodId, preset, Object.keys(presets));
      }
      return value as Readonly<Record<string, unknown>>;
    },
  };
}
