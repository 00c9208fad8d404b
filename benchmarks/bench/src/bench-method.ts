import { type AnyEditMethod, type EditRequest, MissingPresetError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { describeShape, missingPresetRemedy } from './checkpoints.js';
import type { BenchDataset } from './flags.js';
import type { PublishedNames } from './published.js';

/** The model being benchmarked, as method entries see it when they choose hyperparameters. */
export interface BenchModel {
  model: CausalLM;
  /** 'default' or 'micro' for the committed checkpoints, else the model folder's path. */
  name: string;
  /**
   * Key of the per-model hyperparameter presets: the checkpoint name ('default', 'micro'), or for a user's
   * Hugging Face folder the public checkpoint whose config shape it has ('gpt2-xl', 'llama-2-7b': see
   * `KNOWN_CHECKPOINTS`); undefined when no known checkpoint has its shape.
   */
  preset: string | undefined;
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
 * Hyperparameters from a method package's per-model presets (`hparams/<model>.json`): the preset named by
 * `bench.preset` (checkpoint name, or the known checkpoint whose shape a user's folder has). No other
 * model's preset stands in: a model without one is a `MissingPresetError` naming the method, the model and
 * its shape, and saying to pass `--hparams` (the run of that method fails with it). `key` picks one
 * method's entry in packages whose presets hold several methods (FT's { 'ft-l': ..., 'ft-m': ... });
 * `methodId` names the method in the error (default `key`).
 */
export function fromPresets(
  presets: Readonly<Record<string, unknown>>,
  key?: string,
  methodId: string = key ?? '(method)',
): Pick<BenchMethod, 'hparams'> {
  return {
    hparams({ preset, name, model }) {
      const own = preset !== undefined && Object.hasOwn(presets, preset) ? presets[preset] : undefined;
      const value =
        own === undefined || own === null || key === undefined ? own : (own as Record<string, unknown>)[key];
      if (value === undefined || value === null) {
        const config = model.config as Parameters<typeof describeShape>[0] | undefined;
        const shape =
          config === undefined
            ? undefined
            : `${describeShape(config)}${preset !== undefined && preset !== name ? `: the shape of ${preset}` : ''}`;
        throw new MissingPresetError(methodId, name, Object.keys(presets), {
          ...(shape === undefined ? {} : { shape }),
          remedy: missingPresetRemedy(methodId),
        });
      }
      return value as Readonly<Record<string, unknown>>;
    },
  };
}
