import { type Tensor, tf } from '@llmedit/core';

/** The part of tfjs's engine the watch hooks: every tensor and variable is registered through it. */
interface TrackingEngine {
  trackTensor(tensor: Tensor, backend: unknown): void;
}

/** Tensors created while a watch was running; `alive()` says which of them nobody has disposed yet. */
export interface TensorWatch {
  /** Stop recording (idempotent). Watches must be stopped in the reverse order of their start. */
  stop(): void;
  /** The recorded tensors that are not disposed now, minus `exclude` (a model's own weights). */
  alive(exclude?: Iterable<Tensor>): Tensor[];
}

/**
 * Record every tensor created from now until `stop()`, so that a leak can be reported by shape and dtype
 * instead of as a bare count. tfjs has no public list of live tensors; its engine registers each new one
 * through `trackTensor`, which the watch wraps for its duration and puts back on `stop()`.
 */
export function watchNewTensors(): TensorWatch {
  const engine = tf.engine() as unknown as TrackingEngine;
  const created: Tensor[] = [];
  const hadOwn = Object.hasOwn(engine, 'trackTensor');
  const previous = engine.trackTensor;
  engine.trackTensor = function (this: TrackingEngine, tensor: Tensor, backend: unknown) {
    created.push(tensor);
    return previous.call(this, tensor, backend);
  };
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      if (hadOwn) engine.trackTensor = previous;
      else delete (engine as Partial<TrackingEngine>).trackTensor;
    },
    alive(exclude = []) {
      const skip = new Set(exclude);
      return created.filter((t) => !t.isDisposed && !skip.has(t));
    },
  };
}

/** "float32[32,128] ×2, int32[7]": tensors grouped by dtype and shape, most frequent first. */
export function describeTensors(tensors: readonly Tensor[]): string {
  const counts = new Map<string, number>();
  for (const t of tensors) {
    const key = `${t.dtype}[${t.shape.join(',')}]`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, n]) => (n === 1 ? key : `${key} ×${n}`))
    .join(', ');
}

/**
 * Run `body` and report what it left behind: the change in `tf.memory().numTensors` and, when that is
 * not zero, the tensors it created that are still alive (the model's weights excluded).
 */
export async function measureLeaks<T>(
  body: () => Promise<T>,
  exclude: () => Iterable<Tensor> = () => [],
): Promise<{ result: T; before: number; after: number; leaked: string }> {
  const before = tf.memory().numTensors;
  const watch = watchNewTensors();
  let result: T;
  try {
    result = await body();
  } finally {
    watch.stop();
  }
  const after = tf.memory().numTensors;
  const leaked = after === before ? '' : describeTensors(watch.alive(exclude()));
  return { result, before, after, leaked };
}
