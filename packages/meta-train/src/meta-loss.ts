// MEND (Mitchell et al. 2022, arXiv:2110.11309) sec. 3.2 (KE's Lagrangian reuses both terms): L_MEND = c_e·L_e(θ̃) + c_loc·L_loc(θ̃), with
// L_e = −log p_θ̃(y_e | x_e) and L_loc = KL(p_θ(·|x_loc) ‖ p_θ̃(·|x_loc)), both on the edited weights θ̃.
import { type Scalar, siblingModuleUrl, type Tensor2D, tf } from '@llmedit/core';
import { type CausalLM, padBatch } from '@llmedit/models';
import type { ShardLoss, ShardLossModule } from '@llmedit/pretrained';
import { summedTargetNll, type TargetExample, targetBatch } from './factors.js';

/** One meta-training edit: where its edit loss is taken, and one unrelated sequence with the base model's predictions. */
export interface MetaItem {
  /** The edit's loss input after the edit (its prompt, or a rephrase) and its new target. */
  readonly edit: TargetExample;
  /** An unrelated token sequence x_loc. */
  readonly localityIds: readonly number[];
  /** The unedited model's log-probabilities after each of its tokens, [tokens, vocab] row-major. */
  readonly localityBase: Float32Array;
}

/** A shard of a meta-training step (structured-cloneable, so worker threads receive it as is). */
export interface MetaShard {
  readonly items: readonly MetaItem[];
  readonly editCoefficient: number;
  readonly localityCoefficient: number;
}

/** Next-token log-probabilities after every token of each sequence, [tokens, vocab] per sequence. */
export function nextTokenLogProbs(
  model: CausalLM,
  sequences: readonly (readonly number[])[],
): Float32Array[] {
  const positions = sequences.flatMap((s, row) => s.map((_, t) => [row, t] as [number, number]));
  const batch = padBatch(
    sequences.map((s) => [...s]),
    model.padTokenId,
    'right',
  );
  const logProbs = tf.tidy(() =>
    tf.logSoftmax(model.forward(batch, { logits: { positions } }).logits as Tensor2D),
  );
  const values = logProbs.dataSync() as Float32Array;
  logProbs.dispose();
  const vocab = model.config.vocabSize;
  let offset = 0;
  return sequences.map((s) => {
    const out = values.slice(offset * vocab, (offset + s.length) * vocab);
    offset += s.length;
    return out;
  });
}

/** The edit and locality terms of L_MEND for a shard, each the mean over its items. */
export function metaLossTerms(model: CausalLM, shard: MetaShard): { edit: Scalar; locality: Scalar } {
  const { items } = shard;
  return tf.tidy(() => {
    const edit = tf.div(
      summedTargetNll(
        model,
        targetBatch(
          model,
          items.map((i) => i.edit),
        ),
      ),
      items.length,
    ) as Scalar;
    const positions = items.flatMap((item, row) =>
      item.localityIds.map((_, t) => [row, t] as [number, number]),
    );
    const weights = items.flatMap((item) =>
      item.localityIds.map(() => 1 / (item.localityIds.length * items.length)),
    );
    const base = new Float32Array(positions.length * model.config.vocabSize);
    let offset = 0;
    for (const item of items) {
      base.set(item.localityBase, offset);
      offset += item.localityBase.length;
    }
    const batch = padBatch(
      items.map((i) => [...i.localityIds]),
      model.padTokenId,
      'right',
    );
    const edited = tf.logSoftmax(model.forward(batch, { logits: { positions } }).logits as Tensor2D);
    const baseLogProbs = tf.tensor2d(base, [positions.length, model.config.vocabSize]);
    const perPosition = tf.sum(tf.mul(tf.exp(baseLogProbs), tf.sub(baseLogProbs, edited)), 1);
    const locality = tf.sum(tf.mul(perPosition, tf.tensor1d(weights))) as Scalar;
    return { edit, locality };
  });
}

/** c_e·L_e + c_loc·L_loc of a shard for `DataParallelGradients`: the mean over its edits, and their number. */
export const metaLoss: ShardLoss<MetaShard> = (model, shard) => {
  const loss = tf.tidy(() => {
    const { edit, locality } = metaLossTerms(model, shard);
    return tf.add(tf.mul(edit, shard.editCoefficient), tf.mul(locality, shard.localityCoefficient)) as Scalar;
  });
  return { loss, count: shard.items.length };
};

/** Where `DataParallelGradients` workers import `metaLoss` from (this module's own file, from src or dist). */
export const metaLossModule: ShardLossModule = {
  url: siblingModuleUrl(import.meta.url, 'meta-loss'),
  name: 'metaLoss',
};
