// KE in Node: the browser-safe method (method-core.ts) over artifact folders, which it loads once per model,
// trains and saves, and the committed artifacts in this package's folder.
import type { CausalLM } from '@llmedit/models';
import { type KeArtifactRef, keArtifacts } from './artifact.js';
import { createKeMethodWith, type KeArtifactName } from './method-core.js';
import { trainKe } from './train.js';

export { KE_ARTIFACT_NAMES, type KeArtifactName, type KeInfo } from './method-core.js';

export interface KeMethodOptions {
  /** Where `doPrepare` saves the artifact it trains (default: a folder under the OS temp directory). */
  readonly artifactDir?: (model: CausalLM) => string;
}

/** The reference to a committed artifact, for `context.artifact` (works from src and dist). */
export function keArtifactRef(name: KeArtifactName): KeArtifactRef {
  return keArtifacts.committedRef(import.meta.url, name);
}

/** Frees the hypernetworks that `ke` loaded from folders for `model`. */
export function releaseKeArtifacts(model: CausalLM): void {
  keArtifacts.release(model);
}

/** Create the KE method (`ke` uses the defaults). */
export function createKeMethod(options: KeMethodOptions = {}) {
  return createKeMethodWith({
    resolve: keArtifacts.resolve,
    async prepare(context, model, trainingRequests, hparams) {
      const artifact = await trainKe(model, trainingRequests, hparams, context);
      return keArtifacts.keep(artifact, model, options.artifactDir?.(model));
    },
  });
}

/**
 * KE: the method object for core's `edit()`; pass the trained artifact as `context.artifact` (a folder
 * reference such as `keArtifactRef('default')`, or a loaded artifact).
 */
export const ke = createKeMethod();
