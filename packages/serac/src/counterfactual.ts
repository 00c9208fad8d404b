// SERAC's counterfactual model h_ψ(z_e, x) (Mitchell et al. 2022, arXiv:2206.06520, section 3.1): an LM
// fine-tuned to answer x given the edit z_e in its context, by the next-token NLL of the answer (eq. 2's L_e term).
import { createRng, type EditRequest, type Rng, tf, type Variable } from '@llmedit/core';
import { type CausalLM, chunkByTokens } from '@llmedit/models';
import { AdamW, contiguousShards, DataParallelGradients, warmupCosine } from '@llmedit/pretrained';
import { editAnswerIds, editStatement } from './copy.js';
import { type AnswerSequence, answerShardLoss, answerShardLossModule } from './counterfactual-loss.js';

// The edit-time parts (used by SERAC's model view, also in the browser) live in copy.ts.
export {
  type CopyProposal,
  type CopyWeights,
  copyProposal,
  editAnswerIds,
  editStatement,
  mixCopy,
} from './copy.js';

/** One training sequence: the context, the query, and the answer the loss is taken on. */
export interface CounterfactualExample {
  readonly ids: readonly number[];
  /** Tokens of the edit's context (the query starts here). */
  readonly contextLength: number;
  /** Index in `ids` of the first answer token. */
  readonly answerStart: number;
  /** Index in `ids` after the last answer token (an end-of-text token may follow: trained on, not scored). */
  readonly answerEnd: number;
  /** The edit's new answer as the context's first line holds it (`editAnswerIds`). */
  readonly editAnswer: readonly number[];
}

/** How training sequences are drawn from the training requests each epoch. */
export interface CounterfactualSampling {
  /**
   * Fraction of edits whose target is replaced by another request's target. The model must then copy the
   * answer from the context instead of recalling the training targets, which is the skill an unseen edit needs.
   */
  readonly randomTargetFraction: number;
  /**
   * Out-of-scope queries per edit (its locality prompts that have an answer in the pretraining text), answered
   * with their own ground truth: a query the classifier routes here by mistake should still get the base
   * model's answer, not the edit's.
   */
  readonly outOfScopePerEdit: number;
  /**
   * Fraction of the swapped targets made of two other targets joined by a space ("Barcelona Jean-Pierre
   * Mocky"). Most targets are one token, so without these the model sees little of copying the second and
   * later answer tokens, which EasyEdit's token accuracy counts as much as the first.
   */
  readonly composedTargetFraction?: number;
  /**
   * Include every portability question of the edit, answered with its own answer: questions about the edited
   * subject whose answer is not the edit's (what the copy weights are fitted against). Default false.
   */
  readonly portability?: boolean;
  /**
   * Put the end-of-text token after every answer, so that the model stops where the base model's pretraining
   * documents end instead of writing on after the answer. Default false.
   */
  readonly endOfText?: boolean;
}

/** Build one epoch of training sequences (deterministic for `rng`). */
export function counterfactualExamples(
  model: CausalLM,
  requests: readonly EditRequest[],
  sampling: CounterfactualSampling,
  rng: Rng,
): CounterfactualExample[] {
  const tokenizer = model.requireTokenizer();
  const limit = model.config.maxPositions;
  const examples: CounterfactualExample[] = [];
  const eos = tokenizer.eosTokenId ?? model.config.eosTokenId;
  const tail = sampling.endOfText === true && eos !== undefined ? [eos] : [];
  const add = (context: readonly number[], editAnswer: readonly number[], query: string, answer: string) => {
    const { promptIds, targetIds } = tokenizer.encodePair(query, answer);
    const ids = [...context, ...promptIds, ...targetIds, ...tail];
    if (targetIds.length === 0 || ids.length > limit) return;
    const answerStart = context.length + promptIds.length;
    examples.push({
      ids,
      contextLength: context.length,
      answerStart,
      answerEnd: answerStart + targetIds.length,
      editAnswer,
    });
  };
  for (const request of requests) {
    const swap = rng.next() < sampling.randomTargetFraction;
    const other = () => (requests[rng.int(requests.length)] as EditRequest).targetNew;
    const composed = swap && rng.next() < (sampling.composedTargetFraction ?? 0);
    const target = swap ? (composed ? `${other()} ${other()}` : other()) : request.targetNew;
    const context = tokenizer.encode(editStatement({ prompt: request.prompt, targetNew: target }));
    const editAnswer = editAnswerIds(tokenizer, target);
    for (const query of [request.prompt, ...(request.rephrasePrompts ?? [])])
      add(context, editAnswer, query, target);
    const outside = Object.values(request.locality ?? {})
      .flat()
      // Questions prefixed "nq question:" have answers the base model never learnt (NQ accuracy 0.08).
      .filter((q) => !q.prompt.startsWith('nq question:'));
    for (let k = 0; k < Math.min(sampling.outOfScopePerEdit, outside.length); k++) {
      const pick = outside[rng.int(outside.length)];
      const answer = typeof pick?.groundTruth === 'string' ? pick.groundTruth : pick?.groundTruth[0];
      if (pick !== undefined && answer !== undefined) add(context, editAnswer, pick.prompt, answer);
    }
    if (sampling.portability === true) {
      for (const probe of Object.values(request.portability ?? {}).flat()) {
        const answer = typeof probe.groundTruth === 'string' ? probe.groundTruth : probe.groundTruth[0];
        if (answer !== undefined) add(context, editAnswer, probe.prompt, answer);
      }
    }
  }
  return examples;
}

export interface CounterfactualTrainingOptions extends CounterfactualSampling {
  readonly epochs: number;
  readonly learningRate: number;
  /** Padded tokens per optimizer step. */
  readonly batchTokens: number;
  readonly seed: number;
  /** Threads that compute gradients (data-parallel, `DataParallelGradients`); default 1. */
  readonly threads?: number;
  readonly signal?: AbortSignal;
  readonly onStep?: (fraction: number, loss: number) => void;
}

/**
 * Fine-tune `model` in place (AdamW, warmup then cosine decay, clipping at norm 1) on fresh examples each
 * epoch. Returns the steps taken and the running loss at the end.
 */
export async function trainCounterfactual(
  model: CausalLM,
  requests: readonly EditRequest[],
  options: CounterfactualTrainingOptions,
): Promise<{ steps: number; examples: number; finalLoss: number }> {
  const rng = createRng(options.seed);
  const epochs = Array.from({ length: options.epochs }, () => {
    const examples = counterfactualExamples(model, requests, options, rng);
    const chunks = chunkByTokens(
      examples.map((e) => e.ids.length),
      options.batchTokens,
    );
    // Shuffle the order of the length-sorted chunks so that every epoch sees short and long ones mixed.
    for (let i = chunks.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [chunks[i], chunks[j]] = [chunks[j] as number[], chunks[i] as number[]];
    }
    return { examples, chunks };
  });
  const total = epochs.reduce((sum, e) => sum + e.chunks.length, 0);
  const weights = new Map<string, Variable>(model.weightNames().map((n) => [n, model.weight(n)]));
  const optimizer = new AdamW(
    { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.01, clipNorm: 1 },
    (name) => name.endsWith('.weight') && model.weight(name).rank === 2 && !name.includes('wpe'),
  );
  const warmup = Math.max(1, Math.round(total * 0.05));
  let step = 0;
  let running = Number.NaN;
  let pool: DataParallelGradients<readonly AnswerSequence[]> | undefined;
  try {
    pool = await DataParallelGradients.start(model, {
      threads: options.threads ?? 1,
      loss: answerShardLoss,
      lossModule: answerShardLossModule,
    });
    for (const { examples, chunks } of epochs) {
      for (const chunk of chunks) {
        options.signal?.throwIfAborted();
        const batch = chunk.map((i) => {
          const { ids, answerStart } = examples[i] as CounterfactualExample;
          return { ids, answerStart };
        });
        const { loss, gradients } = await pool.gradients(contiguousShards(batch, pool.threads));
        optimizer.apply(weights, gradients, warmupCosine(step, total, warmup, options.learningRate));
        tf.dispose(Object.values(gradients));
        step++;
        running = Number.isNaN(running) ? loss : 0.95 * running + 0.05 * loss;
        options.onStep?.(step / total, running);
      }
    }
  } finally {
    await pool?.close();
    optimizer.dispose();
  }
  return { steps: step, examples: epochs.reduce((s, e) => s + e.examples.length, 0), finalLoss: running };
}
