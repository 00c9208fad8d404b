// MEND in Node: the browser-safe method (method-core.ts) over artifact folders, which it loads once per model,
// trains and saves, and the committed artifacts in this package's folder.
import type { CausalLM } from '@llmedit/models';
import { type MendArtifactRef, mendArtifacts } from './artifact.js';
import { createMendMethodWith, type MendArtifactName } from './method-core.js';
import { trainMend } from './train.js';

export { MEND_ARTIFACT_NAMES, type MendArtifactName, type MendInfo } from './method-core.js';

export interface MendMethodOptions {
  /** Where `doPrepare` saves the artifact it trains (default: a folder under the OS temp directory). */
  readonly artifactDir?: (model: CausalLM) => string;
}

/** The reference to a committed artifact, for `context.artifact` (works from src and dist). */
export function mendArtifactRef(name: MendArtifactName): MendArtifactRef {
  return mendArtifacts.committedRef(import.meta.url, name);
}

/**
 * Frees the editors that `mend` loaded from folders for `model` (they stay loaded across edits so that a
 * sequence of edits reads the artifact once).
 */
export function releaseMendArtifacts(model: CausalLM): void {
  mendArtifacts.release(model);
}

/** Create the MEND method (`mend` uses the defaults). */
export function createMendMethod(options: MendMethodOptions = {}) {
  return createMendMethodWith({
    resolve: mendArtifacts.resolve,
    async prepare(context, model, trainingRequests, hparams) {
      const artifact = await trainMend(model, trainingRequests, hparams, context);
      return mendArtifacts.keep(artifact, model, options.artifactDir?.(model));
    },
  });
}

/**
 * MEND: the method object for core's `edit()`; pass the trained artifact as `context.artifact` (a folder
 * reference such as `mendArtifactRef('default')`, or a loaded artifact).
 */
export const mend = createMendMethod();
