// MQuAKE multi-hop accuracy (Zhong et al. 2023, "MQuAKE: Assessing Knowledge Editing in Language Models via
// Multi-Hop Questions", section 3.2): a case counts as answered when any of its questions gets the answer or an alias.
import { InvalidRequestError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { type MetricValue, PROTOCOL_TAGS, type RecordResult } from './protocol.js';
import { type BatchOptions, PairScores } from './scoring.js';
import { exactMatch } from './token-metrics.js';

/** The fields of a MQuAKE case that the metric reads (`MquakeCase` from @llmedit/datasets has them). */
export interface MultiHopCase {
  caseId?: number | string;
  questions: readonly string[];
  newAnswer: string;
  newAnswerAlias?: readonly string[];
  answer: string;
  answerAlias?: readonly string[];
}

export interface MultiHopOptions extends BatchOptions {
  /** Accepted answers: 'new' (after the case's edits, default) or 'original' (the unedited chain). */
  answers?: 'new' | 'original';
}

/**
 * Multi-hop accuracy of each case: a question is answered when some accepted answer (the answer or an alias)
 * is the teacher-forced argmax at every one of its tokens, which is exactly when greedy decoding after the
 * question begins with that answer. `multiHop` is 1 when any question is answered (MQuAKE's case accuracy);
 * `multiHopQuestions` is the fraction of questions answered. With `answers: 'original'` the metrics are named
 * `multiHopOriginal` and `multiHopOriginalQuestions`.
 */
export function evaluateMultiHop(
  model: CausalLM,
  cases: readonly MultiHopCase[],
  options: MultiHopOptions = {},
): RecordResult[] {
  const original = options.answers === 'original';
  const ids = cases.map((c, i) => String(c.caseId ?? i));
  const accepted = cases.map((c, i) => {
    const list = original ? [c.answer, ...(c.answerAlias ?? [])] : [c.newAnswer, ...(c.newAnswerAlias ?? [])];
    const unique = [...new Set(list.filter((a) => a.trim() !== ''))];
    if (unique.length === 0)
      throw new InvalidRequestError(ids[i]!, original ? 'answer' : 'newAnswer', 'is empty');
    if (c.questions.length === 0) throw new InvalidRequestError(ids[i]!, 'questions', 'is empty');
    return unique;
  });
  const scores = new PairScores();
  cases.forEach((c, i) => {
    for (const q of c.questions) for (const a of accepted[i]!) scores.add(q, a, ids[i]!, 'questions');
  });
  scores.run(model, options);
  const name = original ? 'multiHopOriginal' : 'multiHop';
  return cases.map((c, i) => {
    const answered = c.questions.map((q) => accepted[i]!.some((a) => exactMatch(scores.get(q, a)) === 1));
    const hits = answered.filter(Boolean).length;
    const metrics: Record<string, MetricValue> = {
      [name]: { value: hits > 0 ? 1 : 0, tag: PROTOCOL_TAGS.aliasExactMatch, count: answered.length },
      [`${name}Questions`]: {
        value: hits / answered.length,
        tag: PROTOCOL_TAGS.aliasExactMatch,
        count: answered.length,
      },
    };
    return { id: ids[i]!, metrics };
  });
}
