// Token-level scores of EasyEdit's teacher-forced protocol (reference/easyedit.md sections 2.1-2.4) and the
// mean-NLL comparisons of ROME's CounterFact suite (Meng et al. 2022, section 3.2; easyedit.md section 2.9).
import { InvalidRequestError } from '@llmedit/core';

/** What the metrics read from one teacher-forced pass: target ids, their log-probs and the argmax ids. */
export interface TokenScore {
  targetIds: readonly number[];
  logProbs: readonly number[];
  argmaxIds: readonly number[];
}

function checkLengths(what: string, a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length === 0) throw new InvalidRequestError(what, 'target', 'has no tokens');
  if (a.length !== b.length) {
    throw new InvalidRequestError(what, 'argmaxIds', `has ${b.length} entries for ${a.length} target tokens`);
  }
}

/** Fraction of target tokens predicted as the argmax given the gold previous tokens: 2 of 3 -> 2/3. */
export function tokenAccuracy(score: TokenScore): number {
  checkLengths('token accuracy', score.targetIds, score.argmaxIds);
  let hits = 0;
  score.targetIds.forEach((id, k) => {
    if (score.argmaxIds[k] === id) hits++;
  });
  return hits / score.targetIds.length;
}

/** 1 when every target token is the argmax, i.e. greedy decoding would start with exactly these tokens. */
export function exactMatch(score: TokenScore): number {
  checkLengths('exact match', score.targetIds, score.argmaxIds);
  return score.targetIds.every((id, k) => score.argmaxIds[k] === id) ? 1 : 0;
}

/**
 * Locality of one probe: the fraction of ground-truth positions where the post-edit argmax equals the
 * pre-edit argmax (EasyEdit's README example: [29,234,334] vs [29,234,333] -> 2/3).
 */
export function argmaxAgreement(pre: readonly number[], post: readonly number[]): number {
  checkLengths('argmax agreement', pre, post);
  let same = 0;
  pre.forEach((id, k) => {
    if (post[k] === id) same++;
  });
  return same / pre.length;
}

/** 1 when the post-edit argmax equals the pre-edit argmax at every ground-truth position. */
export function argmaxExactAgreement(pre: readonly number[], post: readonly number[]): number {
  checkLengths('argmax agreement', pre, post);
  return pre.every((id, k) => post[k] === id) ? 1 : 0;
}

/** ROME's N(x, o): the mean negative log-probability of the target tokens (teacher forced). */
export function meanNll(score: Pick<TokenScore, 'logProbs'>): number {
  if (score.logProbs.length === 0) throw new InvalidRequestError('mean NLL', 'target', 'has no tokens');
  let sum = 0;
  for (const lp of score.logProbs) sum -= lp;
  return sum / score.logProbs.length;
}

/**
 * ROME's success and magnitude for one prompt: success = 1[N(preferred) < N(other)], magnitude =
 * exp(-N(preferred)) - exp(-N(other)) (difference of geometric-mean token probabilities).
 */
export function compareTargets(
  preferred: Pick<TokenScore, 'logProbs'>,
  other: Pick<TokenScore, 'logProbs'>,
): { success: number; magnitude: number } {
  const a = meanNll(preferred);
  const b = meanNll(other);
  return { success: a < b ? 1 : 0, magnitude: Math.exp(-a) - Math.exp(-b) };
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
