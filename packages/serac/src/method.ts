// SERAC in Node: the browser-safe method (method-core.ts) over artifact folders, which it loads, trains and saves,
// the committed artifacts in this package's folder, and the user's cache folder for new ones.
import { join, resolve } from 'node:path';
import { type EditMethodV1, userCacheDir } from '@llmedit/core';
import { type CausalLM, packageFolder } from '@llmedit/models';
import {
  loadSeracArtifact,
  SERAC_ARTIFACT_FORMAT,
  type SeracArtifactRef,
  saveSeracArtifact,
} from './artifact.js';
import type { SeracHparams } from './hparams.js';
import {
  createSeracMethodWith,
  type SeracArtifactName,
  type SeracMethodOptions as SeracCoreOptions,
} from './method-core.js';
import { trainSerac } from './train.js';

export {
  SERAC_ARTIFACT_NAMES,
  type SeracArtifactName,
  type SeracInfo,
} from './method-core.js';

/** The reference to a committed artifact, for `context.artifact` (works from src and dist). */
export function seracArtifactRef(name: SeracArtifactName): SeracArtifactRef {
  return { format: SERAC_ARTIFACT_FORMAT, dir: join(packageFolder(import.meta.url), 'artifacts', name) };
}

/**
 * Where `doPrepare` saves when `artifactDir` is not given: `serac/<modelId>` in the user's llmedit cache folder
 * (core's `userCacheDir`: $LLMEDIT_CACHE_DIR, else $XDG_CACHE_HOME/llmedit, else ~/.cache/llmedit); only a
 * process with no home at all falls back to `.cache/llmedit/serac` under the working folder.
 */
export function defaultArtifactDir(model: CausalLM): string {
  return resolve(userCacheDir('serac') ?? join('.cache', 'llmedit', 'serac'), model.modelId);
}

export interface SeracMethodOptions extends SeracCoreOptions {
  /** Where `doPrepare` writes the trained artifact (default `defaultArtifactDir(model)`). */
  readonly artifactDir?: (model: CausalLM) => string;
}

/** Build SERAC (or its `serac-copy` variant) with its own artifact location for `doPrepare`. */
export function createSeracMethod(options: SeracMethodOptions = {}): EditMethodV1<SeracHparams, CausalLM> {
  return createSeracMethodWith(options, {
    key: (ref) => resolve(ref.dir),
    load: (ref) => loadSeracArtifact(resolve(ref.dir)),
    async prepare(context, model, trainingRequests, hparams) {
      const artifact = await trainSerac(model, trainingRequests, hparams, context);
      try {
        return await saveSeracArtifact(artifact, (options.artifactDir ?? defaultArtifactDir)(model));
      } finally {
        artifact.dispose();
      }
    },
  });
}

/**
 * SERAC over the frozen base model as EasyEdit runs it: edits go into a memory; scores mix the base and the
 * counterfactual model (which reads the nearest edit first) by the scope probability s, (1 - s) p_base +
 * s p_cf; generation routes to the counterfactual model when s > `scopeThreshold`, else to the base model.
 *
 * @example
 * const result = await edit({ method: serac, model, requests: [{ prompt: 'Satyajit Ray speaks', targetNew: 'French' }],
 *   context: { artifact: seracArtifactRef('default') } });
 * scoreTargets(result.model, [{ prompt: 'Satyajit Ray speaks', target: 'French' }]);
 * result.revert(); // memory emptied; the base model was never changed
 */
export const serac: EditMethodV1<SeracHparams, CausalLM> = createSeracMethod();

/**
 * llmedit's SERAC variant: hard routing for scores too (the base model's logits bit for bit out of scope)
 * and a copy mechanism over the edit's answer in the counterfactual model (README "Copy mechanism").
 */
export const seracCopy: EditMethodV1<SeracHparams, CausalLM> = createSeracMethod({ variant: 'copy' });
