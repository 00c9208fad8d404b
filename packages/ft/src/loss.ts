// FT losses of EasyEdit ft_main.py (reference/easyedit.md section 4.1): FT-L is ROME's fine-tuning baseline
// (Meng et al. 2022, appendix), L = -mean_j log P(t_j | prompt) with every target token scored at the last
// prompt position; FT-M is the causal-LM cross-entropy -1/|t| sum_j log P(t_j | prompt, t_<j), prompt masked.
import { type EditRequest, InvalidRequestError, type Scalar, type Tensor2D, tf } from '@llmedit/core';
import { type CausalLM, encodeTargetPair, padBatch } from '@llmedit/models';
import type { FtObjective } from './hparams.js';

/** One request as token ids, cut to the token budget. */
export interface FtExample {
  readonly promptIds: readonly number[];
  readonly targetIds: readonly number[];
  /** Tokens cut to fit the budget: the prompt's first ones, the target's last ones (0 when it fit). */
  readonly droppedPromptTokens: number;
  readonly droppedTargetTokens: number;
}

/**
 * Tokenize a request as `prompt + " " + targetNew` (split at the boundary, as scoring does). The budget is
 * `min(maxLength, model positions)`: FT-L needs the prompt alone within it, FT-M prompt and target together.
 * Prompts that exceed it lose their first tokens (the scored positions are at the end), targets their last.
 */
export function buildExample(
  model: CausalLM,
  request: EditRequest,
  objective: FtObjective,
  maxLength: number,
  record = 'request',
): FtExample {
  const pair = encodeTargetPair(model, request.prompt, request.targetNew);
  if (pair.promptIds.length === 0) throw new InvalidRequestError(record, 'prompt', 'encodes to no tokens');
  if (pair.targetIds.length === 0) throw new InvalidRequestError(record, 'targetNew', 'encodes to no tokens');
  const budget = Math.min(maxLength, model.config.maxPositions);
  const cut = (promptIds: number[], targetIds: number[]): FtExample => ({
    promptIds,
    targetIds,
    droppedPromptTokens: pair.promptIds.length - promptIds.length,
    droppedTargetTokens: pair.targetIds.length - targetIds.length,
  });
  if (objective === 'prompt_last') return cut(pair.promptIds.slice(-budget), [...pair.targetIds]);
  const targetIds = pair.targetIds.slice(0, budget - 1);
  return cut(pair.promptIds.slice(-(budget - targetIds.length)), targetIds);
}

interface Picks {
  /** (row, token) pairs whose logits the forward computes. */
  positions: [number, number][];
  /** For each pick: its index into the flattened [positions, vocab] log-probabilities. */
  flat: Int32Array;
  /** For each pick: 1 / (|targets of its example| * examples), so that the weighted sum is the loss. */
  weights: Float32Array;
}

function pickTargets(
  examples: readonly FtExample[],
  objective: FtObjective,
  vocab: number,
  offsets: number[],
): Picks {
  const positions: [number, number][] = [];
  const flat: number[] = [];
  const weights: number[] = [];
  examples.forEach((example, row) => {
    const weight = 1 / (example.targetIds.length * examples.length);
    const lastPrompt = (offsets[row] ?? 0) + example.promptIds.length - 1;
    if (objective === 'prompt_last') {
      // One position per example; every target token is a label there (a bag of tokens).
      const index = positions.length;
      positions.push([row, lastPrompt]);
      for (const id of example.targetIds) {
        flat.push(index * vocab + id);
        weights.push(weight);
      }
    } else {
      // Teacher forcing: target token k is predicted at the position before it.
      example.targetIds.forEach((id, k) => {
        flat.push(positions.length * vocab + id);
        positions.push([row, lastPrompt + k]);
        weights.push(weight);
      });
    }
  });
  return { positions, flat: Int32Array.from(flat), weights: Float32Array.from(weights) };
}

/**
 * The FT loss of a batch of examples (mean over examples of each example's mean target negative
 * log-likelihood), differentiable w.r.t. the model's weights. Logits are computed only at the scored
 * positions; labels are picked with flat indices (gather with batchDims is wrong on wasm).
 */
export function ftLoss(model: CausalLM, examples: readonly FtExample[], objective: FtObjective): Scalar {
  const sequences = examples.map((example) =>
    objective === 'prompt_last' ? [...example.promptIds] : [...example.promptIds, ...example.targetIds],
  );
  const batch = padBatch(sequences, model.padTokenId, 'right');
  const vocab = model.config.vocabSize;
  const picks = pickTargets(examples, objective, vocab, batch.offsets);
  return tf.tidy(() => {
    const { logits } = model.forward(batch, { logits: { positions: picks.positions } });
    const logProbs = tf.logSoftmax(logits as Tensor2D);
    const picked = tf.gather(tf.reshape(logProbs, [-1]), tf.tensor1d(picks.flat, 'int32'));
    return tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(picks.weights)))) as Scalar;
  });
}
