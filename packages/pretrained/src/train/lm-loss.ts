// Causal language-model loss: mean over real tokens of -log p(x_{t+1} | x_{<=t}) (Radford et al. 2019, eq. 1).
import { type Scalar, siblingModuleUrl, type Tensor2D, tf } from '@llmedit/core';
import { type CausalLM, padBatch, pickedTokenNll, type TokenBatch } from '@llmedit/models';
import type { ShardLoss, ShardLossModule } from './data-parallel.js';

/**
 * Mean next-token cross-entropy over every position whose next token is real. Differentiable w.r.t. the
 * model's weights.
 */
export function languageModelLoss(model: CausalLM, batch: TokenBatch): Scalar {
  const positions: [number, number][] = [];
  batch.ids.forEach((row, b) => {
    for (let t = 0; t + 1 < row.length; t++) {
      if (batch.attentionMask[b]![t] === 1 && batch.attentionMask[b]![t + 1] === 1) positions.push([b, t]);
    }
  });
  return nextTokenLoss(model, batch, positions);
}

/**
 * Mean of -log p(x_{t+1} | x_{<=t}) over the given (row, t) positions only, e.g. the answer tokens of a
 * prompt-answer sequence. Differentiable w.r.t. the model's weights.
 */
export function nextTokenLoss(
  model: CausalLM,
  batch: TokenBatch,
  positions: readonly (readonly [number, number])[],
): Scalar {
  const length = batch.ids[0]!.length;
  const vocab = model.config.vocabSize;
  const rows = positions.map(([b, t]) => b * length + t);
  const labels = positions.map(([b, t]) => batch.ids[b]![t + 1]!);
  return tf.tidy(() => {
    const { logits } = model.forward(batch, { logits: 'all' });
    return tf.mean(pickedTokenNll(tf.reshape(logits!, [-1, vocab]) as Tensor2D, rows, labels)) as Scalar;
  });
}

/** Number of predicted tokens in a batch (the loss's denominator). */
export function predictedTokens(batch: TokenBatch): number {
  let count = 0;
  for (const mask of batch.attentionMask) {
    for (let t = 0; t + 1 < mask.length; t++) if (mask[t] === 1 && mask[t + 1] === 1) count++;
  }
  return count;
}

/**
 * The language-model loss of a shard of token documents (right-padded here), for `DataParallelGradients`:
 * the mean over the shard's predicted tokens, and their number.
 */
export const languageModelShardLoss: ShardLoss<readonly (readonly number[])[]> = (model, documents) => {
  const batch = padBatch(
    documents.map((d) => [...d]),
    0,
    'right',
  );
  return { loss: languageModelLoss(model, batch), count: predictedTokens(batch) };
};

/** Where worker threads find `languageModelShardLoss` (this module, from sources or the build). */
export const languageModelShardLossModule: ShardLossModule = {
  url: siblingModuleUrl(import.meta.url, 'lm-loss'),
  name: 'languageModelShardLoss',
};
