// AdamW: Adam (Kingma & Ba 2015, Algorithm 1) with decoupled weight decay (Loshchilov & Hutter 2019, Algorithm 2).
import { type Tensor, tf, type Variable } from '@llmedit/core';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** Gradients are rescaled so that their global L2 norm is at most this (0 disables). */
  clipNorm: number;
}

/** A variable holding `initial`'s data; the initial handle is released. */
function ownedVariable(initial: Tensor): Variable {
  const variable = tf.variable(initial, false);
  initial.dispose();
  return variable;
}

/** Moments per weight, resumable: `state()` / `load()` move them to and from host memory. */
export class AdamW {
  private readonly firstMoments = new Map<string, Variable>();
  private readonly secondMoments = new Map<string, Variable>();
  step = 0;

  constructor(
    private readonly options: AdamWOptions,
    /** Weights that get weight decay (matrices); norms, biases and position tables are exempt. */
    private readonly decays: (name: string) => boolean,
  ) {}

  private moments(name: string, like: Tensor): [Variable, Variable] {
    let m = this.firstMoments.get(name);
    let v = this.secondMoments.get(name);
    if (m === undefined || v === undefined) {
      m = ownedVariable(tf.zerosLike(like));
      v = ownedVariable(tf.zerosLike(like));
      this.firstMoments.set(name, m);
      this.secondMoments.set(name, v);
    }
    return [m, v];
  }

  /** Apply one update; returns the global gradient norm before clipping. Does not dispose `gradients`. */
  apply(
    weights: ReadonlyMap<string, Variable>,
    gradients: Readonly<Record<string, Tensor>>,
    learningRate: number,
  ): number {
    const { beta1, beta2, epsilon, weightDecay, clipNorm } = this.options;
    this.step++;
    const names = Object.keys(gradients);
    const normTensor = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(gradients[n]!))))));
    const norm = normTensor.dataSync()[0]!;
    normTensor.dispose();
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (const name of names) {
      const weight = weights.get(name)!;
      const [m, v] = this.moments(name, weight);
      tf.tidy(() => {
        const g = tf.mul(gradients[name]!, scale);
        const nextM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const nextV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(nextM);
        v.assign(nextV);
        const update = tf.div(
          tf.div(nextM, correction1),
          tf.add(tf.sqrt(tf.div(nextV, correction2)), epsilon),
        );
        const decayed = this.decays(name) ? tf.mul(weight, 1 - learningRate * weightDecay) : weight;
        weight.assign(tf.sub(decayed, tf.mul(update, learningRate)));
      });
    }
    return norm;
  }

  /** Host copies of the moments (for a resumable checkpoint). */
  state(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, m] of this.firstMoments) {
      out.set(`m.${name}`, { shape: [...m.shape], data: m.dataSync() as Float32Array });
      const v = this.secondMoments.get(name)!;
      out.set(`v.${name}`, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    }
    return out;
  }

  load(state: ReadonlyMap<string, { shape: number[]; data: Float32Array }>, step: number): void {
    this.dispose();
    for (const [key, host] of state) {
      const target = key.startsWith('m.') ? this.firstMoments : this.secondMoments;
      target.set(key.slice(2), ownedVariable(tf.tensor(host.data, host.shape)));
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.firstMoments.values(), ...this.secondMoments.values()]) t.dispose();
    this.firstMoments.clear();
    this.secondMoments.clear();
  }
}

/** Linear warmup to `peak`, then cosine decay to `peak * floor` at `total` steps. */
export function warmupCosine(step: number, total: number, warmup: number, peak: number, floor = 0.1): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return peak * (floor + ((1 - floor) * (1 + Math.cos(Math.PI * progress))) / 2);
}
