// KE as an edit method, browser-safe: it edits with a loaded artifact. Folder references and training (file
// system, worker threads) come in through `KeArtifactFolders`, which method.ts (the Node entry) supplies.
import {
  CapabilityError,
  defineEditMethod,
  type EditOutcome,
  type EditRequest,
  InvalidHparamsError,
  type PrepareContext,
  type Tensor,
  tf,
} from '@llmedit/core';
import { applyWeightDeltas, frobeniusNorms, requestExample } from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
import { type KeArtifact, type KeArtifactRef, keArtifactKind } from './artifact-format.js';
import { conditionIds, editGradients } from './gradient.js';
import { type KeHparams, keHparams } from './hparams.js';

/** Per-edit diagnostics in `EditOutcome.info`. */
export interface KeInfo {
  readonly layers: readonly number[];
  /** Frobenius norm of each weight change, by weight name. */
  readonly updateNorms: Readonly<Record<string, number>>;
  /** Frobenius norm of the fine-tuning gradient the hypernetwork read, by weight name. */
  readonly gradientNorms: Readonly<Record<string, number>>;
}

/** The committed artifacts (`artifacts/<name>/`), one per committed checkpoint that has one. */
export const KE_ARTIFACT_NAMES = ['default'] as const;
export type KeArtifactName = (typeof KE_ARTIFACT_NAMES)[number];

/**
 * What the method does with artifact folders: Node resolves `{ format, dir }` references (loaded once per
 * model) and trains new artifacts (method.ts); a page has neither a file system nor worker threads, so its
 * method takes loaded artifacts only.
 */
export interface KeArtifactFolders {
  /** `context.artifact` (a loaded artifact or a folder reference) as this model's artifact. */
  resolve(model: CausalLM, value: unknown): KeArtifact;
  /** `doPrepare`: train an artifact, save it, return where it lives. */
  prepare(
    context: PrepareContext,
    model: CausalLM,
    trainingRequests: readonly EditRequest[],
    hparams: KeHparams,
  ): Promise<KeArtifactRef>;
}

/**
 * Build KE over `folders` (Node's entry passes its own; without them the method takes loaded artifacts only
 * and cannot train).
 */
export function createKeMethodWith(folders: KeArtifactFolders | undefined) {
  return defineEditMethod<KeHparams, CausalLM>({
    specificationVersion: 'v1',
    id: 'ke',
    displayName: 'KE (KnowledgeEditor hypernetwork)',
    paper: 'De Cao et al. 2021, Editing Factual Knowledge in Language Models, arXiv:2104.08164',
    capabilities: {
      batch: true,
      sequential: true,
      multimodal: false,
      requiresTraining: true,
      modifiesWeights: true,
    },
    hparams: keHparams,
    async doPrepare(context, model, trainingRequests: readonly EditRequest[], hparams) {
      if (folders === undefined) {
        throw new CapabilityError(
          'ke',
          'training needs Node (worker threads and a folder to save to): prepare with @llmedit/ke in Node, then load the artifact with loadKeArtifactFrom(url, model)',
        );
      }
      return folders.prepare(context, model, trainingRequests, hparams);
    },
    async doEdit(context, model, requests, hparams): Promise<EditOutcome<CausalLM>> {
      context.signal?.throwIfAborted();
      const { editor } = (folders ?? keArtifactKind).resolve(model, context.artifact);
      const layers = editor.weights.map((w) => w.layer);
      if (hparams.layers.join() !== layers.join()) {
        throw new InvalidHparamsError(
          'layers',
          `[${hparams.layers.join(', ')}] differs from the layers the artifact's hypernetwork was trained for ([${layers.join(', ')}])`,
        );
      }
      const examples = requests.map((r, i) => requestExample(model, r, hparams.maxLength, i));
      const conditions = requests.map((r) => conditionIds(model, r, hparams.maxLength));
      const gradients = editGradients(model, examples, editor.weights);
      const gradientNorms = frobeniusNorms(gradients);
      let deltas: Map<string, Tensor>;
      try {
        deltas = editor.deltas(conditions, gradients);
      } finally {
        tf.dispose([...gradients.values()]);
      }
      const info: Omit<KeInfo, 'updateNorms'> = { layers, gradientNorms };
      return applyWeightDeltas(model, deltas, info);
    },
  });
}

/**
 * KE taking loaded artifacts (`loadKeArtifactFrom`): the browser entry's. The Node entry's `ke` also
 * takes `{ format, dir }` references (`keArtifactRef('default')`) and trains in `doPrepare`.
 */
export const ke = createKeMethodWith(undefined);

/** Create KE taking loaded artifacts (the Node entry's `createKeMethod` also reads folders and trains). */
export function createKeMethod() {
  return createKeMethodWith(undefined);
}
