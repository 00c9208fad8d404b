/** Test-only helpers: run the same computation on the wasm and cpu backends and compare the results. */
import { tf } from '../tf.js';

/** Deterministic standard-normal samples (mulberry32 + Box-Muller). */
export function randn(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

export interface Run {
  readonly values: Float32Array[];
  /** Change of engine tensors and backend data buffers across the run (both must be 0). */
  readonly leakedTensors: number;
  readonly leakedDataIds: number;
}

/** Runs `fn` on `backend` inside a tidy and reads its outputs afterwards. */
export async function runOn(backend: 'wasm' | 'cpu', fn: () => tf.Tensor[]): Promise<Run> {
  if (!(await tf.setBackend(backend))) throw new Error(`cannot switch to ${backend}`);
  const tensorsBefore = tf.memory().numTensors;
  const idsBefore = tf.backend().numDataIds();
  const outs = tf.tidy(fn);
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  return {
    values,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
    leakedDataIds: tf.backend().numDataIds() - idsBefore,
  };
}

/** max |a - b| divided by max(1, max |b|). */
export function relMaxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, Math.abs(x - y));
    scale = Math.max(scale, Math.abs(y));
  }
  return diff / scale;
}
