// ROME's zsRE protocol: kmeng01/rome experiments/py/eval_utils_zsre.py (with dsets/zsre.py and experiments/summarize.py).
import { InvalidRequestError, type PromptAnswer } from '@llmedit/core';
import type { CausalLM, IdPair } from '@llmedit/models';
import { type MetricValue, PROTOCOL_TAGS } from './protocol.js';
import { type BatchOptions, scoreSharedPrompts } from './scoring.js';

/**
 * One next-token check of ROME's `test_batch_prediction_acc`: the text `prompt` is tokenized alone, and the
 * check passes when the argmax at its last token is `label`.
 */
export interface RomeZsreCheck {
  prompt: string;
  label: number;
}

/** The checks of one record, per ROME metric (each list pools every prompt's tokens). */
export interface RomeZsreChecks {
  efficacy: RomeZsreCheck[];
  paraphrase: RomeZsreCheck[];
  specificity: RomeZsreCheck[];
}

/** What ROME's protocol reads from a request: its zsRE fields under EasyEdit's names. */
export interface RomeZsreRequest {
  /** The edit question (`src`). */
  prompt: string;
  /** The answer the edit installs: `answers[0]` in ROME's protocol. */
  targetNew: string;
  /** `rephrase`. */
  rephrasePrompts?: readonly string[];
  /** `locality[neighborhoodKey]`: the NQ question (`loc`) with its ground-truth answer (`loc_ans`). */
  locality?: Readonly<Record<string, readonly PromptAnswer[]>>;
}

function answerOf(probe: PromptAnswer, record: string, field: string): string {
  const answer = typeof probe.groundTruth === 'string' ? probe.groundTruth : probe.groundTruth[0];
  if (answer === undefined || answer.trim() === '')
    throw new InvalidRequestError(record, field, 'has no ground-truth answer');
  return answer;
}

/**
 * The checks of teacher forcing `answer` after `prompt`, built from text as ROME builds them: the answer is
 * tokenized as it follows the prompt (`tok(" " + answer)` for GPT-2), and check i is the text
 * `prompt + decode(answer tokens before i)` with label `first id of encode(decode(answer token i))` (ROME's
 * "temporary hack to deal with foreign characters"; the token itself whenever it decodes to text that
 * encodes back to it).
 */
export function romeZsreChecks(
  model: CausalLM,
  prompt: string,
  answer: string,
  record = 'rome-zsre',
  field = 'prompt',
): RomeZsreCheck[] {
  if (prompt.trim() === '') throw new InvalidRequestError(record, field, 'has an empty prompt');
  if (answer.trim() === '') throw new InvalidRequestError(record, field, 'has an empty answer');
  const tokenizer = model.requireTokenizer();
  const { targetIds } = tokenizer.encodePair(prompt, answer);
  if (targetIds.length === 0) throw new InvalidRequestError(record, field, 'answer encodes to no tokens');
  return targetIds.map((id, i) => ({
    prompt: prompt + tokenizer.decode(targetIds.slice(0, i)),
    label: tokenizer.encode(tokenizer.decode([id]))[0] ?? id,
  }));
}

/**
 * Every check of one request under ROME's zsRE protocol (`compute_rewrite_quality_zsre` on a
 * `MENDQADataset` record): efficacy on `prompt` and paraphrase on `rephrasePrompts`, both against
 * `targetNew`; specificity on each `locality[neighborhoodKey]` probe with "?" appended to its question
 * (`record["loc"] + "?"`), against the probe's ground truth, not against the pre-edit model.
 */
export function romeZsreRequestChecks(
  model: CausalLM,
  request: RomeZsreRequest,
  id: string,
  neighborhoodKey = 'neighborhood',
): RomeZsreChecks {
  return {
    efficacy: romeZsreChecks(model, request.prompt, request.targetNew, id, 'prompt/targetNew'),
    paraphrase: (request.rephrasePrompts ?? []).flatMap((p, j) =>
      romeZsreChecks(model, p, request.targetNew, id, `rephrasePrompts[${j}]`),
    ),
    specificity: (request.locality?.[neighborhoodKey] ?? []).flatMap((probe, j) => {
      const field = `locality.${neighborhoodKey}[${j}]`;
      return romeZsreChecks(model, `${probe.prompt}?`, answerOf(probe, id, field), id, field);
    }),
  };
}

/**
 * ROME's per-record value of one metric (`summarize.py`: `np.mean(data[prefix][key])`): the share of
 * correct checks, pooled over the record's prompts and answer tokens. `hits` are 0/1 (or booleans).
 * [1, 0, 1] -> 2/3; NaN for no checks.
 */
export function pooledAccuracy(hits: readonly (number | boolean)[]): number {
  if (hits.length === 0) return Number.NaN;
  let sum = 0;
  for (const h of hits) sum += Number(h);
  return sum / hits.length;
}

const METRICS = ['efficacy', 'paraphrase', 'specificity'] as const;

/** The token ids of a check's text, tokenized alone (with BOS where `scoreTargets` adds it). */
function promptIdsOf(model: CausalLM, text: string, prependBos: boolean | undefined): number[] {
  const tokenizer = model.requireTokenizer();
  const ids = tokenizer.encode(text);
  const bos = prependBos ?? model.config.architecture === 'llama';
  const bosId = tokenizer.bosTokenId ?? model.config.bosTokenId;
  return bos && bosId !== undefined ? [bosId, ...ids] : ids;
}

/**
 * ROME's zsRE metrics of `requests` on `model` (edited or not: no pre-edit reference is needed), one
 * record each, in order: `efficacy`, `paraphrase` (when the request has rephrases) and `specificity` (when
 * it has neighborhood probes), each the pooled share of correct next-token checks, tagged
 * `rome-zsre/pooled-token-accuracy`. All checks of all requests go through one batched pass, each distinct
 * text once.
 */
export function romeZsreMetrics(
  model: CausalLM,
  requests: readonly RomeZsreRequest[],
  ids: readonly string[],
  options: BatchOptions & { neighborhoodKey?: string } = {},
): Record<string, MetricValue>[] {
  const checks = requests.map((r, i) => romeZsreRequestChecks(model, r, ids[i]!, options.neighborhoodKey));
  const texts = new Map<string, number>();
  const pairs: IdPair[] = [];
  const pairOf = (check: RomeZsreCheck): number => {
    const key = `${check.label}\u0000${check.prompt}`;
    let k = texts.get(key);
    if (k === undefined) {
      k = pairs.length;
      texts.set(key, k);
      pairs.push({
        promptIds: promptIdsOf(model, check.prompt, options.prependBos),
        targetIds: [check.label],
      });
    }
    return k;
  };
  const indices = checks.map((c) => METRICS.map((m) => c[m].map(pairOf)));
  const scores = pairs.length === 0 ? [] : scoreSharedPrompts(model, pairs, options);
  return indices.map((perMetric) => {
    const metrics: Record<string, MetricValue> = {};
    METRICS.forEach((name, m) => {
      const hits = perMetric[m]!.map((k) => scores[k]!.argmaxIds[0] === pairs[k]!.targetIds[0]);
      if (hits.length > 0)
        metrics[name] = {
          value: pooledAccuracy(hits),
          tag: PROTOCOL_TAGS.pooledTokenAccuracy,
          count: hits.length,
        };
    });
    return metrics;
  });
}
