import { InvalidRequestError, type Tensor, type Tensor2D, tf } from '@llmedit/core';
import {
  type CausalLM,
  chunkByTokens,
  encodeTargetPair,
  type IdPair,
  KvCache,
  type PaddingSide,
  padBatch,
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

/**
 * Log-probabilities at `labels` and the argmax of each row of `logits` [n, vocab] (which it disposes).
 * Flat indices instead of gather(batchDims), which is wrong on wasm (reference/perf.md section 6).
 */
function readScores(
  logits: Tensor,
  labels: readonly number[],
): { logProbs: Float32Array; argmax: Int32Array } {
  const [picked, argmax] = tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits as Tensor2D);
    const vocab = logProbs.shape[1];
    const flat = Int32Array.from(labels, (id, n) => n * vocab + id);
    return [tf.gather(tf.reshape(logProbs, [-1]), tf.tensor1d(flat, 'int32')), tf.argMax(logProbs, 1)];
  });
  logits.dispose();
  const out = { logProbs: picked.dataSync() as Float32Array, argmax: argmax.dataSync() as Int32Array };
  picked.dispose();
  argmax.dispose();
  return out;
}

/**
 * Teacher-forced scores of token-id pairs where each distinct prompt is run once: a first forward over the
 * prompts (KV cache kept) gives every pair's first target token; the cached prompt rows are then repeated
 * per pair and only the remaining target tokens are fed. Same numbers as scoring `prompt ++ target` in one
 * sequence (the masks and real-token positions make both the same computation), with about half the tokens
 * when each prompt is scored against two answers, as in ROME's suite.
 */
export function scoreSharedPrompts(
  model: CausalLM,
  pairs: readonly IdPair[],
  options: Pick<BatchOptions, 'maxBatchTokens' | 'padding'> = {},
): TargetScore[] {
  const maxTokens = options.maxBatchTokens ?? 4096;
  const padding = options.padding ?? 'right';
  pairs.forEach((pair, i) => {
    if (pair.promptIds.length === 0)
      throw new InvalidRequestError(`pair ${i}`, 'prompt', 'must have at least one token');
    if (pair.targetIds.length === 0)
      throw new InvalidRequestError(`pair ${i}`, 'target', 'must have at least one token');
  });
  const results: TargetScore[] = pairs.map((p) => ({
    promptIds: [...p.promptIds],
    targetIds: [...p.targetIds],
    logProbs: new Array<number>(p.targetIds.length),
    argmaxIds: new Array<number>(p.targetIds.length),
  }));
  const groups = new Map<string, number[]>();
  pairs.forEach((pair, i) => {
    const key = pair.promptIds.join(',');
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [i]);
    else list.push(i);
  });
  const prompts = [...groups.values()];
  const promptIdsOf = (g: number) => pairs[prompts[g]![0]!]!.promptIds;

  for (const chunk of chunkByTokens(
    prompts.map((_, g) => promptIdsOf(g).length),
    maxTokens,
  )) {
    const batch = padBatch(
      chunk.map((g) => promptIdsOf(g)),
      model.padTokenId,
      padding,
    );
    const cache = new KvCache();
    try {
      // Every pair's first target token is predicted at its prompt's last real position.
      const positions: [number, number][] = [];
      const labels: number[] = [];
      const first: number[] = [];
      chunk.forEach((g, row) => {
        const last = batch.offsets[row]! + promptIdsOf(g).length - 1;
        for (const i of prompts[g]!) {
          positions.push([row, last]);
          labels.push(pairs[i]!.targetIds[0]!);
          first.push(i);
        }
      });
      const { logits } = model.forward(batch, { logits: { positions }, cache });
      const head = readScores(logits as Tensor, labels);
      first.forEach((i, n) => {
        results[i]!.logProbs[0] = head.logProbs[n]!;
        results[i]!.argmaxIds[0] = head.argmax[n]!;
      });

      // The rest of each multi-token target, fed after a copy of its prompt's cached keys and values.
      const rest: { pair: number; row: number }[] = [];
      chunk.forEach((g, row) => {
        for (const i of prompts[g]!) if (pairs[i]!.targetIds.length > 1) rest.push({ pair: i, row });
      });
      // Budget the fed tokens; cap the rows so that the repeated cache stays a few times the chunk's size.
      const cacheLength = batch.ids[0]!.length;
      const maxRows = Math.max(1, Math.floor((4 * maxTokens) / cacheLength));
      const restLengths = rest.map((r) => pairs[r.pair]!.targetIds.length - 1);
      for (const sub of chunkByTokens(restLengths, maxTokens, maxRows)) {
        const feeds = sub.map((k) => pairs[rest[k]!.pair]!.targetIds.slice(0, -1));
        const feedBatch = padBatch(feeds, model.padTokenId, padding);
        const rows = Int32Array.from(sub, (k) => rest[k]!.row);
        const branch = new KvCache();
        try {
          branch.keys = cache.keys.map((t) => tf.tidy(() => tf.gather(t, tf.tensor1d(rows, 'int32'))));
          branch.values = cache.values.map((t) => tf.tidy(() => tf.gather(t, tf.tensor1d(rows, 'int32'))));
          branch.mask = Array.from(rows, (r) => cache.mask[r]!);
          const restPositions: [number, number][] = [];
          const restLabels: number[] = [];
          sub.forEach((k, row) => {
            const target = pairs[rest[k]!.pair]!.targetIds;
            for (let j = 1; j < target.length; j++) {
              restPositions.push([row, feedBatch.offsets[row]! + j - 1]);
              restLabels.push(target[j]!);
            }
          });
          const out = model.forward(feedBatch, { logits: { positions: restPositions }, cache: branch });
          const tail = readScores(out.logits as Tensor, restLabels);
          let cursor = 0;
          for (const k of sub) {
            const result = results[rest[k]!.pair]!;
            for (let j = 1; j < result.targetIds.length; j++, cursor++) {
              result.logProbs[j] = tail.logProbs[cursor]!;
              result.argmaxIds[j] = tail.argmax[cursor]!;
            }
          }
        } finally {
          branch.dispose();
        }
      }
    } finally {
      cache.dispose();
    }
  }
  return results;
}

function pairKey(prompt: string, target: string): string {
  return `${prompt}\u0001${target}`;
}

/**
 * Teacher-forced scores of many (prompt, target) pairs from several metrics and records: identical pairs are
 * scored once (reliability and ROME's efficacy share theirs), each distinct prompt is run once, and all
 * prompts go through length-sorted batches, so prompts of similar length from different records share forwards.
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
      if (pair.promptIds.length === 0)
        throw new InvalidRequestError(p.record, p.field, 'prompt encodes to no tokens');
      if (pair.targetIds.length === 0)
        throw new InvalidRequestError(p.record, p.field, 'answer encodes to no tokens');
      return pair;
    });
    this.scores = scoreSharedPrompts(model, ids, options);
  }

  get(prompt: string, target: string): TargetScore {
    const i = this.index.get(pairKey(prompt, target));
    if (this.scores === undefined || i === undefined) {
      throw new Error(`PairScores: pair not scored: ${JSON.stringify(prompt)} / ${JSON.stringify(target)}`);
    }
    return this.scores[i]!;
  }
}
