// The Knowledge Neurons edit (Dai et al. 2022, "Knowledge Neurons in Pretrained Transformers",
// arXiv:2104.08696, section 5.1) as EasyEdit runs it (`kn`, reference/easyedit.md section 4.9) and as
// llmedit first ran it (`kn-llmedit`).
import {
  defineEditMethod,
  type EditContext,
  type EditOutcome,
  type EditRequest,
  InvalidRequestError,
  type Tensor2D,
  tf,
} from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { type AnswerSpacing, encodeAnswer } from './attribution.js';
import { type KnHparams, type KnLlmeditHparams, knHparams, knLlmeditHparams } from './hparams.js';
import { type FindNeuronsOptions, findKnowledgeNeurons, type ScoredNeuron } from './neurons.js';
import { type RewriteOptions, rewriteNeurons } from './operations.js';

/** Which rule an edit follows: EasyEdit's (`kn`) or llmedit's first one (`kn-llmedit`). */
export type KnProtocol = 'easyedit' | 'llmedit';

/** Diagnostics of one KN edit (JSON-serialisable). */
export interface KnInfo {
  readonly protocol: KnProtocol;
  readonly neurons: readonly ScoredNeuron[];
  /** Neurons above the threshold before `maxNeurons` (and per prompt before refinement). */
  readonly coarseCounts: readonly number[];
  readonly maxAttribution: readonly number[];
  /** The first argmax token after the prompt before the edit. */
  readonly originalPredictionId: number;
  /** The greedy tokens whose embeddings are moved out (one per target token for `kn`, one for `kn-llmedit`). */
  readonly originalPredictionIds: readonly number[];
  readonly targetIds: readonly number[];
}

/** The model's greedy continuation of `promptIds`, `count` tokens long. */
export function greedyIds(model: CausalLM, promptIds: readonly number[], count: number): number[] {
  const ids = [...promptIds];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const { logits } = model.forward({ ids: [ids], attentionMask: [ids.map(() => 1)] }, { logits: 'last' });
    const best = tf.tidy(() => tf.argMax(logits as Tensor2D, 1));
    logits?.dispose();
    const id = best.dataSync()[0] as number;
    best.dispose();
    out.push(id);
    ids.push(id);
  }
  return out;
}

/** Everything that differs between the two rules (README "Differences from the reference"). */
interface Rule {
  spacing: AnswerSpacing;
  search: Pick<FindNeuronsOptions, 'site' | 'alphas' | 'answerContext' | 'spacing'>;
  /** The embedding move, from the target ids and the model's greedy continuation. */
  move(model: CausalLM, promptIds: readonly number[], targetIds: readonly number[]): RewriteOptions;
}

function ruleOf(protocol: KnProtocol, model: CausalLM, editScale: number): Rule {
  if (protocol === 'easyedit') {
    return {
      spacing: 'unspaced',
      search: {
        site: 'preActivation',
        alphas: 'linspace',
        // knowledge_neurons.py re-tokenizes with the argmax appended only for `model_type` "gpt" or "llama".
        answerContext: model.config.architecture === 'llama' ? 'greedy' : 'promptEnd',
        spacing: 'unspaced',
      },
      move(m, promptIds, targetIds) {
        // modify_weights: one greedy token per target token; a lone id indexes a 1-D embedding that is
        // moved out twice, while the target's id list always indexes a 2-D block added once per row.
        const fromIds = greedyIds(m, promptIds, targetIds.length);
        return { toIds: targetIds, fromIds, scale: 1, fromScale: targetIds.length === 1 ? 2 : 1 };
      },
    };
  }
  return {
    spacing: 'spaced',
    search: { site: 'activation', alphas: 'riemann', answerContext: 'teacherForced', spacing: 'spaced' },
    move(m, promptIds, targetIds) {
      return { toIds: targetIds, fromIds: greedyIds(m, promptIds, 1), scale: editScale };
    },
  };
}

/**
 * Find the neurons of the request's ground truth and move their value slots from the original prediction's
 * word embeddings to the target's, by `protocol`'s rule. Needs `groundTruth`, as EasyEdit does.
 */
export async function knEdit(
  context: EditContext,
  model: CausalLM,
  requests: readonly EditRequest[],
  hparams: KnHparams | KnLlmeditHparams,
  protocol: KnProtocol = 'easyedit',
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
  const rule = ruleOf(protocol, model, 'editScale' in hparams ? hparams.editScale : 1);
  context.signal?.throwIfAborted();
  const prompts = [request.prompt, ...(hparams.refine ? (request.rephrasePrompts ?? []) : [])];
  const found = findKnowledgeNeurons(model, prompts, groundTruth, {
    steps: hparams.steps,
    batchSize: hparams.batchSize,
    adaptiveThreshold: hparams.adaptiveThreshold,
    refine: hparams.refine,
    p: hparams.p,
    ...rule.search,
    ...(hparams.layers === undefined ? {} : { layers: hparams.layers }),
  });
  context.onProgress?.({ stage: 'attribution', fraction: 0.9 });
  context.signal?.throwIfAborted();
  const neurons =
    hparams.maxNeurons === undefined ? found.neurons : found.neurons.slice(0, hparams.maxNeurons);
  const { promptIds, targetIds } = encodeAnswer(model, request.prompt, request.targetNew, rule.spacing);
  if (targetIds.length === 0) throw new InvalidRequestError(record, 'targetNew', 'encodes to no tokens');
  const move = rule.move(model, promptIds, targetIds);
  const patch = rewriteNeurons(model, neurons, move);
  const info: KnInfo = {
    protocol,
    neurons,
    coarseCounts: found.coarse.map((set) => set.length),
    maxAttribution: found.maxAttribution,
    originalPredictionId: move.fromIds[0] as number,
    originalPredictionIds: [...move.fromIds],
    targetIds,
  };
  context.onProgress?.({ stage: 'edit', fraction: 1 });
  return {
    model,
    deltas: patch.deltas,
    info: { ...info },
    restore: () => patch.restore(),
    dispose: () => patch.dispose(),
    weightsOnly: true,
  };
}

const capabilities = {
  // One request per call: the neurons and the embedding move are per fact.
  batch: false,
  // A later edit searches the already edited model and adds its own change.
  sequential: true,
  multimodal: false,
  requiresTraining: false,
  modifiesWeights: true,
} as const;

const paper = 'Dai et al. 2022, Knowledge Neurons in Pretrained Transformers, arXiv:2104.08696';

/**
 * Knowledge Neurons (Dai et al. 2022) as EasyEdit runs it (easyeditor/models/kn): integrated gradients over
 * the FFN pre-activation (GPT-2 `c_fc`'s output) for the unspaced true answer, the adaptive threshold, then
 * each found neuron's value slot += E[t] - 2 E[argmax] (one target token) or sum E[t_j] - sum E[greedy_j].
 *
 * @example
 * const result = await edit({ method: kn, model, hparams: knPreset('micro'),
 *   requests: [{ prompt: 'Satyajit Ray speaks', targetNew: 'French', groundTruth: 'English' }] });
 */
export const kn = defineEditMethod<KnHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'kn',
  displayName: 'KN (Knowledge Neurons)',
  paper,
  capabilities,
  hparams: knHparams,
  doEdit: (context, model, requests, hparams) => knEdit(context, model, requests, hparams, 'easyedit'),
});

/**
 * llmedit's variant of KN: attribution over the post-GELU activation with the paper's Riemann grid and
 * teacher forcing, the answer tokenized as the evaluation scores it (with its leading space), and each
 * value slot += editScale * (sum E[t] - E[argmax]). Much stronger than EasyEdit's rule (package README).
 */
export const knLlmedit = defineEditMethod<KnLlmeditHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'kn-llmedit',
  displayName: 'KN (llmedit rule)',
  paper,
  capabilities,
  hparams: knLlmeditHparams,
  doEdit: (context, model, requests, hparams) => knEdit(context, model, requests, hparams, 'llmedit'),
});
