// The Knowledge Neurons edit as EasyEdit runs it (reference/easyedit.md section 4.9; Dai et al. 2022,
// "Knowledge Neurons in Pretrained Transformers", arXiv:2104.08696, section 5.1).
import {
  defineEditMethod,
  type EditContext,
  type EditOutcome,
  type EditRequest,
  InvalidRequestError,
  type Tensor2D,
  tf,
} from '@llmedit/core';
import { type CausalLM, encodeTargetPair } from '@llmedit/models';
import type { KnHparams } from './hparams.js';
import { knHparams } from './hparams.js';
import { findKnowledgeNeurons, type ScoredNeuron } from './neurons.js';
import { rewriteNeurons } from './operations.js';

/** Diagnostics of one KN edit (JSON-serialisable). */
export interface KnInfo {
  readonly neurons: readonly ScoredNeuron[];
  /** Neurons above the threshold before `maxNeurons` (and per prompt before refinement). */
  readonly coarseCounts: readonly number[];
  readonly maxAttribution: readonly number[];
  /** The argmax token after the prompt before the edit, whose embedding is moved out. */
  readonly originalPredictionId: number;
  readonly targetIds: readonly number[];
}

function argmaxAfter(model: CausalLM, promptIds: readonly number[]): number {
  const { logits } = model.forward(
    { ids: [promptIds], attentionMask: [promptIds.map(() => 1)] },
    { logits: 'last' },
  );
  const best = tf.tidy(() => tf.argMax(logits as Tensor2D, 1));
  logits?.dispose();
  const id = best.dataSync()[0] as number;
  best.dispose();
  return id;
}

/**
 * Find the neurons of the request's ground truth and move their value slots from the original prediction's
 * word embedding to the target's. Needs `groundTruth`, as EasyEdit does.
 */
export async function knEdit(
  context: EditContext,
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: KnHparams,
): Promise<EditOutcome<CausalLM>> {
  const request = requests[0];
  if (request === undefined || requests.length !== 1) {
    throw new InvalidRequestError('kn', 'requests', `edits one request per call, got ${requests.length}`);
  }
  const record = request.id === undefined ? 'request' : `request ${request.id}`;
  const groundTruth = request.groundTruth;
  if (groundTruth === undefined || groundTruth.trim() === '') {
    throw new InvalidRequestError(
      record,
      'groundTruth',
      'is required by KN (its neurons are found for the true answer)',
    );
  }
  context.signal?.throwIfAborted();
  const prompts = [request.prompt, ...(hparams.refine ? (request.rephrasePrompts ?? []) : [])];
  const found = findKnowledgeNeurons(model, prompts, groundTruth, {
    steps: hparams.steps,
    batchSize: hparams.batchSize,
    adaptiveThreshold: hparams.adaptiveThreshold,
    refine: hparams.refine,
    p: hparams.p,
    ...(hparams.layers === undefined ? {} : { layers: hparams.layers }),
  });
  context.onProgress?.({ stage: 'attribution', fraction: 0.9 });
  context.signal?.throwIfAborted();
  const neurons =
    hparams.maxNeurons === undefined ? found.neurons : found.neurons.slice(0, hparams.maxNeurons);
  const { promptIds, targetIds } = encodeTargetPair(model, request.prompt, request.targetNew);
  const originalPredictionId = argmaxAfter(model, promptIds);
  const patch = rewriteNeurons(model, neurons, {
    fromIds: [originalPredictionId],
    toIds: targetIds,
    scale: hparams.editScale,
  });
  const info: KnInfo = {
    neurons,
    coarseCounts: found.coarse.map((set) => set.length),
    maxAttribution: found.maxAttribution,
    originalPredictionId,
    targetIds,
  };
  context.onProgress?.({ stage: 'edit', fraction: 1 });
  return {
    model,
    deltas: patch.deltas,
    info: { ...info },
    restore: () => patch.restore(),
    dispose: () => patch.dispose(),
  };
}

/**
 * Knowledge Neurons (Dai et al. 2022) as EasyEdit applies it: integrated-gradients attribution of the FFN
 * neurons for the true answer, the adaptive threshold (and optional refinement across rephrases), then each
 * found neuron's value slot += editScale * (embedding(target) - embedding(original prediction)).
 *
 * @example
 * const result = await edit({ method: kn, model, hparams: knPreset('micro'),
 *   requests: [{ prompt: 'Satyajit Ray speaks', targetNew: 'French', groundTruth: 'English' }] });
 */
export const kn = defineEditMethod<KnHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'kn',
  displayName: 'KN (Knowledge Neurons)',
  paper: 'Dai et al. 2022, Knowledge Neurons in Pretrained Transformers, arXiv:2104.08696',
  capabilities: {
    // One request per call: the neurons and the embedding move are per fact.
    batch: false,
    // A later edit searches the already edited model and adds its own change.
    sequential: true,
    multimodal: false,
    requiresTraining: false,
    modifiesWeights: true,
  },
  hparams: knHparams,
  doEdit: knEdit,
});
