// SERAC's counterfactual model at edit time (Mitchell et al. 2022, arXiv:2206.06520, section 3.1): the edit's
// context text and llmedit's copy mechanism over its answer. Browser-safe (tfjs only); training the
// counterfactual model (worker threads) is in counterfactual.ts, which re-exports these.
import { type EditRequest, type Tensor, tf } from '@llmedit/core';

/**
 * The text the counterfactual model reads before the query: the new answer on a line of its own, then the
 * edit as a statement, each ending in a newline. The answer comes first so that its tokens sit at fixed
 * positions (token k of the answer is token k of the context): a 4-layer model learns to copy from fixed
 * positions far more easily than to find the matching statement and copy what follows it. Byte-level BPE
 * never merges across a newline, so the context's ids followed by the query's ids are exactly the ids of the
 * whole text: the query keeps the tokens the caller gave it.
 */
export function editStatement(edit: Pick<EditRequest, 'prompt' | 'targetNew'>): string {
  return ` ${edit.targetNew}\n${edit.prompt} ${edit.targetNew}\n`;
}

/** The edit's answer tokens: the first line of `editStatement`, " {t*}". */
export function editAnswerIds(tokenizer: { encode(text: string): number[] }, targetNew: string): number[] {
  return tokenizer.encode(` ${targetNew}`);
}

/** A token the copy mechanism proposes after a position, and whether it is the answer's first token. */
export interface CopyProposal {
  readonly token: number;
  readonly first: boolean;
}

/** The weights λ of the two kinds of proposals (`mixCopy`). */
export interface CopyWeights {
  /** For a_j after a_0..a_{j-1} (j ≥ 1). */
  readonly next: number;
  /** For a_0 while the answer has not appeared in the query. */
  readonly first: number;
}

function occursIn(ids: readonly number[], from: number, to: number, answer: readonly number[]): boolean {
  for (let start = from; start + answer.length - 1 <= to; start++) {
    if (answer.every((token, k) => ids[start + k] === token)) return true;
  }
  return false;
}

/**
 * The copy mechanism's proposal for the token after position `t` of a counterfactual row: a pointer over the
 * edit's answer, as in pointer-generator networks (See et al. 2017, eq. 9), with the pointer fixed by
 * matching instead of attention. When the query's tokens up to `t` end with a_0..a_{j-1} (the longest such
 * run, j ≥ 1), propose a_j (nothing once the whole answer is there). With no such run and the answer not yet
 * in the query, propose a_0: the answer's first token may come next (its position cannot be told from the tokens,
 * so its weight is fitted separately).
 */
export function copyProposal(
  ids: readonly number[],
  queryStart: number,
  t: number,
  answer: readonly number[],
): CopyProposal | undefined {
  let bestLength = 0;
  for (let j = answer.length; j >= 1; j--) {
    let length = 0;
    while (length < j && t - length >= queryStart && ids[t - length] === answer[j - 1 - length]) length++;
    if (length === j) {
      bestLength = j;
      break;
    }
  }
  if (bestLength > 0)
    return bestLength < answer.length ? { token: answer[bestLength] as number, first: false } : undefined;
  if (answer.length === 0 || occursIn(ids, queryStart, t, answer)) return undefined;
  return { token: answer[0] as number, first: true };
}

/**
 * Mix the copy proposals into next-token logits [positions, vocab]: p = (1 − λ)·softmax(z) + λ·onehot(c)
 * where a proposal c exists (λ by its kind; returned as log p, valid logits), the logits unchanged elsewhere.
 */
export function mixCopy(
  logits: Tensor,
  proposals: readonly (CopyProposal | undefined)[],
  weights: CopyWeights,
): Tensor {
  const weightOf = (c: CopyProposal | undefined) =>
    c === undefined ? 0 : c.first ? weights.first : weights.next;
  if (proposals.every((c) => weightOf(c) === 0)) return logits.clone();
  const vocab = logits.shape[1] as number;
  return tf.tidy(() => {
    const lambda = tf.tensor2d(proposals.map(weightOf), [proposals.length, 1]);
    const copy = tf.oneHot(
      tf.tensor1d(
        Int32Array.from(proposals, (c) => c?.token ?? 0),
        'int32',
      ),
      vocab,
    );
    const mixed = tf.add(tf.mul(tf.softmax(logits), tf.sub(1, lambda)), tf.mul(copy, lambda));
    const has = tf.cast(tf.broadcastTo(tf.greater(lambda, 0), logits.shape), 'bool');
    return tf.where(has, tf.log(tf.maximum(mixed, 1e-30)), logits);
  });
}
