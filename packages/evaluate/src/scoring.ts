import { InvalidRequestError } from '@llmedit/core';
import {
  type CausalLM,
  encodeTargetPair,
  type IdPair,
  type PaddingSide,
  scoreIdPairs,
  type TargetScore,
} from '@llmedit/models';

/** Batching options shared by every evaluation entry point; none of them changes a metric. */
export interface BatchOptions {
  /** Padded tokens per forward chunk (prompts are sorted by length first). Default 4096. */
  maxBatchTokens?: number;
  /** Padding side of the scoring batches. The metrics do not depend on it (explicit positions and masks). */
  padding?: PaddingSide;
  /** Prepend BOS to every prompt (default: true for LLaMA, false for GPT-2), as in `scoreTargets`. */
  prependBos?: boolean;
}

/** Tokenizations are reused across calls (pre and post, repeated evaluations) per tokenizer object. */
const encodings = new WeakMap<object, Map<string, IdPair>>();
const MAX_CACHED_ENCODINGS = 500_000;

export function encodePairCached(
  model: CausalLM,
  prompt: string,
  target: string,
  prependBos?: boolean,
): IdPair {
  const tokenizer = model.requireTokenizer();
  let cache = encodings.get(tokenizer);
  if (cache === undefined) {
    cache = new Map();
    encodings.set(tokenizer, cache);
  }
  const key = `${prependBos ?? 'auto'}\u0000${model.config.architecture}\u0000${prompt}\u0001${target}`;
  let pair = cache.get(key);
  if (pair === undefined) {
    if (cache.size >= MAX_CACHED_ENCODINGS) cache.clear();
    pair = encodeTargetPair(model, prompt, target, prependBos);
    cache.set(key, pair);
  }
  return pair;
}

function pairKey(prompt: string, target: string): string {
  return `${prompt}\u0001${target}`;
}

/**
 * Teacher-forced scores of many (prompt, target) pairs from several metrics and records: identical pairs are
 * scored once (reliability and ROME's efficacy share theirs) and all pairs go through one batched pass, so
 * prompts of similar length from different records share forwards.
 */
export class PairScores {
  private readonly index = new Map<string, number>();
  private readonly pending: { prompt: string; target: string; record: string; field: string }[] = [];
  private scores: TargetScore[] | undefined;

  /** Register a pair; `record` and `field` name it in errors. */
  add(prompt: string, target: string, record: string, field: string): void {
    if (this.scores !== undefined) throw new Error('PairScores: add() after run()');
    if (prompt.trim() === '') throw new InvalidRequestError(record, field, 'has an empty prompt');
    if (target.trim() === '') throw new InvalidRequestError(record, field, 'has an empty answer');
    const key = pairKey(prompt, target);
    if (this.index.has(key)) return;
    this.index.set(key, this.pending.length);
    this.pending.push({ prompt, target, record, field });
  }

  get size(): number {
    return this.pending.length;
  }

  run(model: CausalLM, options: BatchOptions = {}): void {
    const ids = this.pending.map((p) => {
      const pair = encodePairCached(model, p.prompt, p.target, options.prependBos);
      if (pair.targetIds.length === 0)
        throw new InvalidRequestError(p.record, p.field, 'encodes to no tokens');
      return pair;
    });
    this.scores = scoreIdPairs(model, ids, {
      maxBatchTokens: options.maxBatchTokens ?? 4096,
      padding: options.padding ?? 'right',
    });
  }

  get(prompt: string, target: string): TargetScore {
    const i = this.index.get(pairKey(prompt, target));
    if (this.scores === undefined || i === undefined) {
      throw new Error(`PairScores: pair not scored: ${JSON.stringify(prompt)} / ${JSON.stringify(target)}`);
    }
    return this.scores[i]!;
  }
}
