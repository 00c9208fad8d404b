import { InvalidRequestError, type Tensor2D, tf } from '@llmedit/core';
import { chunkByTokens, type PaddingSide, padBatch } from './batching.js';
import type { CausalLM } from './causal-lm.js';

/** A prompt and the continuation to score after it, as token ids. */
export interface IdPair {
  promptIds: readonly number[];
  targetIds: readonly number[];
}

/** Teacher-forced scores of one target: for target token k, the log-probability and the argmax id given the prompt and target tokens 0..k-1. */
export interface TargetScore {
  promptIds: number[];
  targetIds: number[];
  logProbs: number[];
  argmaxIds: number[];
}

export interface ScoreOptions {
  /** Padded tokens per forward chunk (keeps the wasm heap under 4 GB). Default 4096. */
  maxBatchTokens?: number;
  /** Padding side; the scores do not depend on it (the masks make padding invisible). Default right. */
  padding?: PaddingSide;
  /** Prepend the tokenizer's BOS to every prompt (default: true for LLaMA, false for GPT-2). */
  prependBos?: boolean;
}

/**
 * Teacher-forced scoring of token-id pairs: one forward per chunk, logits only at the target positions,
 * labels from explicit positions (never by counting pads).
 */
export function scoreIdPairs(
  model: CausalLM,
  pairs: readonly IdPair[],
  options: ScoreOptions = {},
): TargetScore[] {
  const maxTokens = options.maxBatchTokens ?? 4096;
  pairs.forEach((pair, i) => {
    if (pair.promptIds.length === 0)
      throw new InvalidRequestError(`pair ${i}`, 'prompt', 'must have at least one token');
    if (pair.targetIds.length === 0)
      throw new InvalidRequestError(`pair ${i}`, 'target', 'must have at least one token');
  });
  const results: TargetScore[] = new Array(pairs.length);
  const sequences = pairs.map((p) => [...p.promptIds, ...p.targetIds]);
  for (const chunk of chunkByTokens(
    sequences.map((s) => s.length),
    maxTokens,
  )) {
    const batch = padBatch(
      chunk.map((i) => sequences[i]!),
      model.padTokenId,
      options.padding ?? 'right',
    );
    const positions: [number, number][] = [];
    const labels: number[] = [];
    chunk.forEach((pairIndex, row) => {
      const pair = pairs[pairIndex]!;
      const start = batch.offsets[row]! + pair.promptIds.length - 1;
      pair.targetIds.forEach((id, k) => {
        positions.push([row, start + k]);
        labels.push(id);
      });
    });
    const { logits } = model.forward(batch, { logits: { positions } });
    const [picked, argmax] = tf.tidy(() => {
      const logProbs = tf.logSoftmax(logits as Tensor2D);
      const vocab = logProbs.shape[1];
      // Flat indices instead of gather(batchDims), which is wrong on wasm (perf.md section 6).
      const flat = Int32Array.from(labels, (id, n) => n * vocab + id);
      return [tf.gather(tf.reshape(logProbs, [-1]), tf.tensor1d(flat, 'int32')), tf.argMax(logProbs, 1)];
    });
    logits?.dispose();
    const logProbValues = picked.dataSync();
    const argmaxValues = argmax.dataSync();
    picked.dispose();
    argmax.dispose();
    let cursor = 0;
    for (const pairIndex of chunk) {
      const pair = pairs[pairIndex]!;
      const n = pair.targetIds.length;
      results[pairIndex] = {
        promptIds: [...pair.promptIds],
        targetIds: [...pair.targetIds],
        logProbs: Array.from(logProbValues.subarray(cursor, cursor + n)),
        argmaxIds: Array.from(argmaxValues.subarray(cursor, cursor + n)),
      };
      cursor += n;
    }
  }
  return results;
}

/** Token ids of `prompt + " " + target`, split at the boundary by the tokenizer (no token straddles it). */
export function encodeTargetPair(
  model: CausalLM,
  prompt: string,
  target: string,
  prependBos?: boolean,
): IdPair {
  const tokenizer = model.requireTokenizer();
  const { promptIds, targetIds } = tokenizer.encodePair(prompt, target);
  const bos = prependBos ?? model.config.architecture === 'llama';
  const bosId = tokenizer.bosTokenId ?? model.config.bosTokenId;
  return { promptIds: bos && bosId !== undefined ? [bosId, ...promptIds] : promptIds, targetIds };
}

/** Teacher-forced scores of text pairs joined as `prompt + " " + target` (reference/easyedit.md section 2.1). */
export function scoreTargets(
  model: CausalLM,
  pairs: readonly { prompt: string; target: string }[],
  options: ScoreOptions = {},
): TargetScore[] {
  return scoreIdPairs(
    model,
    pairs.map((p) => encodeTargetPair(model, p.prompt, p.target, options.prependBos)),
    options,
  );
}
