import {
  defineEditMethod,
  type EditOutcome,
  type EditRequest,
  InvalidHparamsError,
  type Tensor,
  tf,
} from '@llmedit/core';
import { applyWeightDeltas, frobeniusNorms, requestExample } from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
import { type KeArtifactRef, keArtifacts } from './artifact.js';
import { conditionIds, editGradients } from './gradient.js';
import { type KeHparams, keHparams } from './hparams.js';
import { trainKe } from './train.js';

/** Per-edit diagnostics in `EditOutcome.info`. */
export interface KeInfo {
  readonly layers: readonly number[];
  /** Frobenius norm of each weight change, by weight name. */
  readonly updateNorms: Readonly<Record<string, number>>;
  /** Frobenius norm of the fine-tuning gradient the hypernetwork read, by weight name. */
  readonly gradientNorms: Readonly<Record<string, number>>;
}

export interface KeMethodOptions {
  /** Where `doPrepare` saves the artifact it trains (default: a folder under the OS temp directory). */
  readonly artifactDir?: (model: CausalLM) => string;
}

/** The committed artifacts (`artifacts/<name>/`), one per committed checkpoint that has one. */
export const KE_ARTIFACT_NAMES = ['default'] as const;
export type KeArtifactName = (typeof KE_ARTIFACT_NAMES)[number];

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
      const artifact = await trainKe(model, trainingRequests, hparams, context);
      return keArtifacts.keep(artifact, model, options.artifactDir?.(model));
    },
    async doEdit(context, model, requests, hparams): Promise<EditOutcome<CausalLM>> {
      context.signal?.throwIfAborted();
      const { editor } = keArtifacts.resolve(model, context.artifact);
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

/** KE: the method object for core's `edit()`; pass the trained artifact as `context.artifact`. */
export const ke = createKeMethod();
