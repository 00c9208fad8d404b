import {
  defineEditMethod,
  type EditOutcome,
  type EditRequest,
  InvalidHparamsError,
  type Tensor,
} from '@llmedit/core';
import { applyWeightDeltas, disposeFactors, editFactors, requestExample } from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
import { type MendArtifactRef, mendArtifacts } from './artifact.js';
import { type MendHparams, mendHparams } from './hparams.js';
import { trainMend } from './train.js';

/** Per-edit diagnostics in `EditOutcome.info`. */
export interface MendInfo {
  readonly layers: readonly number[];
  /** Frobenius norm of each weight change, by weight name. */
  readonly updateNorms: Readonly<Record<string, number>>;
  /** The artifact's learned step sizes α_ℓ. */
  readonly stepSizes: readonly number[];
  /** Tokens whose factors made the edit. */
  readonly tokens: number;
}

export interface MendMethodOptions {
  /** Where `doPrepare` saves the artifact it trains (default: a folder under the OS temp directory). */
  readonly artifactDir?: (model: CausalLM) => string;
}

/** The committed artifacts (`artifacts/<name>/`), one per committed checkpoint that has one. */
export const MEND_ARTIFACT_NAMES = ['default'] as const;
export type MendArtifactName = (typeof MEND_ARTIFACT_NAMES)[number];

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
  return defineEditMethod<MendHparams, CausalLM>({
    specificationVersion: 'v1',
    id: 'mend',
    displayName: 'MEND (gradient-decomposition editor network)',
    paper: 'Mitchell et al. 2022, Fast Model Editing at Scale, arXiv:2110.11309',
    capabilities: {
      batch: true,
      sequential: true,
      multimodal: false,
      requiresTraining: true,
      modifiesWeights: true,
    },
    hparams: mendHparams,
    async doPrepare(context, model, trainingRequests: readonly EditRequest[], hparams) {
      const artifact = await trainMend(model, trainingRequests, hparams, context);
      return mendArtifacts.keep(artifact, model, options.artifactDir?.(model));
    },
    async doEdit(context, model, requests, hparams): Promise<EditOutcome<CausalLM>> {
      context.signal?.throwIfAborted();
      const artifact = mendArtifacts.resolve(model, context.artifact);
      const { editor } = artifact;
      const layers = editor.weights.map((w) => w.layer);
      if (hparams.layers.join() !== layers.join()) {
        throw new InvalidHparamsError(
          'layers',
          `[${hparams.layers.join(', ')}] differs from the layers the artifact's editor was trained for ([${layers.join(', ')}])`,
        );
      }
      const examples = requests.map((r, i) => requestExample(model, r, hparams.maxLength, i));
      const factors = editFactors(model, examples, layers);
      const tokens = factors[0]?.x.shape[0] ?? 0;
      let deltas: Map<string, Tensor>;
      try {
        deltas = editor.deltas(factors);
      } finally {
        disposeFactors(factors);
      }
      const info: Omit<MendInfo, 'updateNorms'> = { layers, stepSizes: editor.stepSizes(), tokens };
      return applyWeightDeltas(model, deltas, info);
    },
  });
}

/** MEND: the method object for core's `edit()`; pass the trained artifact as `context.artifact`. */
export const mend = createMendMethod();
