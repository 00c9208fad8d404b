import { LlmeditError } from '@llmedit/core';

/**
 * How a number was computed. Numbers with different tags measure different things (a token accuracy is
 * not a probability comparison, a pre/post agreement is not an accuracy against ground truth), so
 * aggregation never averages across tags.
 */
export const PROTOCOL_TAGS = {
  /** Fraction of target tokens that are the teacher-forced argmax (EasyEdit's partial credit). */
  tokenAccuracy: 'teacher-forced/token-accuracy',
  /** 1 when every target token is the teacher-forced argmax (the greedy decode starts with the target). */
  exactMatch: 'teacher-forced/exact-match',
  /** Fraction of ground-truth positions where the post-edit argmax equals the pre-edit argmax. */
  argmaxAgreement: 'pre-post/argmax-agreement',
  /** 1 when the post-edit argmax equals the pre-edit argmax at every ground-truth position. */
  argmaxExactAgreement: 'pre-post/argmax-exact-match',
  /** 1[mean NLL of the preferred answer < mean NLL of the other] (ROME's ES, PS, NS). */
  probabilityComparison: 'probability/comparison',
  /** Difference of geometric-mean token probabilities (ROME's EM, PM, NM). */
  probabilityMagnitude: 'probability/magnitude',
  /** Harmonic mean of the ES, PS and NS aggregates (ROME's Score S). */
  comparisonHarmonicMean: 'probability/comparison-harmonic-mean',
  /** Weighted 2-/3-gram entropy in bits of seeded top-k generations (EasyEdit fluency, ROME GE). */
  ngramEntropy: 'generation/ngram-entropy',
  /** 1 when some accepted answer (alias) is reproduced exactly under teacher forcing (MQuAKE). */
  aliasExactMatch: 'teacher-forced/alias-exact-match',
  /**
   * ROME's zsRE protocol: share of next-token checks (prompt text + decoded answer prefix, tokenized alone)
   * whose argmax is the answer token, pooled over a record's prompts and tokens; locality against the
   * ground truth.
   */
  pooledTokenAccuracy: 'rome-zsre/pooled-token-accuracy',
  /**
   * MMEdit's M-Locality: the pre- and post-edit top-10 token ids at each answer position compared rank by
   * rank, as the fraction of equal entries over positions x 10 (multimodal.ts).
   */
  topKAgreement: 'pre-post/top10-agreement',
} as const;

export type ProtocolTag = (typeof PROTOCOL_TAGS)[keyof typeof PROTOCOL_TAGS];

/** A number with the protocol that produced it. */
export interface TaggedValue {
  value: number;
  tag: ProtocolTag;
}

/** One metric of one record: `value` is the mean over `count` probes (prompts, generations, questions). */
export interface MetricValue extends TaggedValue {
  count: number;
}

/** Every metric of one evaluated record (edit request, CounterFact case or MQuAKE case). */
export interface RecordResult {
  /** The request's `id`, else its index in the evaluated list. */
  id: string;
  metrics: Record<string, MetricValue>;
}

/** Numbers with different protocol tags were about to be averaged together. */
export class ProtocolMixError extends LlmeditError {
  constructor(
    readonly metric: string,
    readonly tags: readonly string[],
  ) {
    super(
      'PROTOCOL_MIX',
      `metric '${metric}' mixes protocol tags ${tags.map((t) => `'${t}'`).join(', ')}: ` +
        'values measured under different protocols are not averaged together',
    );
  }
}

/** Post-edit locality needs the pre-edit argmax tokens of the same record, and they were not supplied. */
export class MissingPreEditError extends LlmeditError {
  constructor(
    readonly record: string,
    message: string,
  ) {
    super('MISSING_PRE_EDIT', `record ${record}: ${message}`);
  }
}
