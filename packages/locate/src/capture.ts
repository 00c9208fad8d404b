import { InvalidRequestError, type Tensor, tf } from '@llmedit/core';
import { type CausalLM, chunkByTokens, type HookPoint, padBatch } from '@llmedit/models';
import type { LocatedPrompt } from './prompts.js';

export interface CaptureOptions {
  /** Padded tokens per forward (keeps the wasm heap small). Default 4096. */
  readonly maxBatchTokens?: number;
}

/**
 * Activations at hook points, one row per prompt at its located position: for each point key, a
 * row-major [prompts, width] Float32Array. Runs only up to the highest point's layer, in token-budgeted
 * chunks, and leaves no tensors behind.
 */
export function captureAt(
  model: CausalLM,
  prompts: readonly LocatedPrompt[],
  points: readonly HookPoint[],
  options: CaptureOptions = {},
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const point of points) out.set(point.key, new Float32Array(prompts.length * point.width));
  if (prompts.length === 0 || points.length === 0) return out;
  prompts.forEach((prompt, i) => {
    if (!(prompt.position >= 0 && prompt.position < prompt.ids.length)) {
      throw new InvalidRequestError(
        `prompt ${i}`,
        'position',
        `${prompt.position} is outside its ${prompt.ids.length} tokens`,
      );
    }
  });
  const lastLayer = Math.max(...points.map((p) => p.layer));
  for (const chunk of chunkByTokens(
    prompts.map((p) => p.ids.length),
    options.maxBatchTokens ?? 4096,
  )) {
    const batch = padBatch(
      chunk.map((i) => (prompts[i] as LocatedPrompt).ids),
      model.padTokenId,
      'right',
    );
    const length = batch.ids[0]?.length ?? 0;
    const rows = Int32Array.from(chunk, (i, row) => row * length + (prompts[i] as LocatedPrompt).position);
    const picked: Tensor[] = tf.tidy(() => {
      const { captured } = model.forward(batch, {
        ...(lastLayer >= 0 ? { stopAfterLayer: lastLayer } : { logits: 'none' as const }),
        hooks: points.map((point) => ({ point, capture: true })),
      });
      const index = tf.tensor1d(rows, 'int32');
      return points.map((point) =>
        tf.gather(tf.reshape(captured[point.key] as Tensor, [-1, point.width]), index),
      );
    });
    points.forEach((point, p) => {
      const values = (picked[p] as Tensor).dataSync() as Float32Array;
      const target = out.get(point.key) as Float32Array;
      chunk.forEach((promptIndex, row) => {
        target.set(values.subarray(row * point.width, (row + 1) * point.width), promptIndex * point.width);
      });
    });
    tf.dispose(picked);
  }
  return out;
}

/** The mean of the given rows of a row-major [n, width] array, in float64. */
export function meanRows(values: Float32Array, width: number, rows: readonly number[]): Float64Array {
  const mean = new Float64Array(width);
  for (const row of rows) {
    for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (values[row * width + j] as number);
  }
  for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) / rows.length;
  return mean;
}
