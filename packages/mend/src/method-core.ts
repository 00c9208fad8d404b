// MEND as an edit method, browser-safe: it edits with a loaded artifact. Folder references and training (file
// system, worker threads) come in through `MendArtifactFolders`, which method.ts (the Node entry) supplies.
import {
  CapabilityError,
  defineEditMethod,
  type EditOutcome,
  type EditRequest,
  InvalidHparamsError,
  type PrepareContext,
  type Tensor,
} from '@llmedit/core';
import { applyWeightDeltas, disposeFactors, editFactors, requestExample } from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
import { type MendArtifact, type MendArtifactRef, mendArtifactKind } from './artifact-format.js';
import { type MendHparams, mendHparams } from './hparams.js';

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

/** The committed artifacts (`artifacts/<name>/`), one per committed checkpoint that has one. */
export const MEND_ARTIFACT_NAMES = ['default'] as const;
export type MendArtifactName = (typeof MEND_ARTIFACT_NAMES)[number];

/**
 * What the method does with artifact folders: Node resolves `{ format, dir }` references (loaded once per
 * model) and trains new artifacts (method.ts); a page has neither a file system nor worker threads, so its
 * method takes loaded artifacts only.
 */
export interface MendArtifactFolders {
  /** `context.artifact` (a loaded artifact or a folder reference) as this model's artifact. */
  resolve(model: CausalLM, value: unknown): MendArtifact;
  /** `doPrepare`: train an artifact, save it, return where it lives. */
  prepare(
    context: PrepareContext,
    model: CausalLM,
    trainingRequests: readonly EditRequest[],
    hparams: MendHparams,
  ): Promise<MendArtifactRef>;
}

/**
 * Build MEND over `folders` (Node's entry passes its own; without them the method takes loaded artifacts only
 * and cannot train).
 */
export function createMendMethodWith(folders: MendArtifactFolders | undefined) {
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
      if (folders === undefined) {
        throw new CapabilityError(
          'mend',
          'training needs Node (worker threads and a folder to save to): prepare with @llmedit/mend in Node, then load the artifact with loadMendArtifactFrom(url, model)',
        );
      }
      return folders.prepare(context, model, trainingRequests, hparams);
    },
    async doEdit(context, model, requests, hparams): Promise<EditOutcome<CausalLM>> {
      context.signal?.throwIfAborted();
      const artifact = (folders ?? mendArtifactKind).resolve(model, context.artifact);
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

/**
 * MEND taking loaded artifacts (`loadMendArtifactFrom`): the browser entry's. The Node entry's `mend` also
 * takes `{ format, dir }` references (`mendArtifactRef('default')`) and trains in `doPrepare`.
 */
export const mend = createMendMethodWith(undefined);

/** Create MEND taking loaded artifacts (the Node entry's `createMendMethod` also reads folders and trains). */
export function createMendMethod() {
  return createMendMethodWith(undefined);
}
