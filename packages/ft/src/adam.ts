// Adam (Kingma & Ba 2015, Algorithm 1) with L2 weight decay added to the gradient, as torch.optim.Adam
// applies `weight_decay` (EasyEdit's FT optimiser); bias-corrected moments, epsilon outside the square root.
import { type Tensor, tf } from '@llmedit/core';

export interface AdamOptions {
  lr: number;
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Moments for a fixed list of parameters. Owns its tensors: `dispose()` frees them. */
export class Adam {
  private readonly first: (Tensor | undefined)[];
  private readonly second: (Tensor | undefined)[];
  private step = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    parameterCount: number,
    private readonly options: AdamOptions,
  ) {
    this.first = new Array(parameterCount).fill(undefined);
    this.second = new Array(parameterCount).fill(undefined);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
  }

  /**
   * One update: returns the new parameter values (owned by the caller) for `parameters` given their
   * `gradients`, in the same order. Neither input is disposed.
   */
  update(parameters: readonly Tensor[], gradients: readonly Tensor[]): Tensor[] {
    this.step++;
    const { lr, weightDecay } = this.options;
    const { beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    return parameters.map((parameter, i) => {
      const [m, v, next] = tf.tidy(() => {
        const gradient = gradients[i] as Tensor;
        const g = weightDecay > 0 ? tf.add(gradient, tf.mul(parameter, weightDecay)) : gradient;
        const previousM = this.first[i];
        const previousV = this.second[i];
        const m =
          previousM === undefined
            ? tf.mul(g, 1 - beta1)
            : tf.add(tf.mul(previousM, beta1), tf.mul(g, 1 - beta1));
        const squared = tf.mul(tf.square(g), 1 - beta2);
        const v = previousV === undefined ? squared : tf.add(tf.mul(previousV, beta2), squared);
        const step = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
        return [m, v, tf.sub(parameter, tf.mul(step, lr))];
      });
      this.first[i]?.dispose();
      this.second[i]?.dispose();
      this.first[i] = m;
      this.second[i] = v;
      return next;
    });
  }

  dispose(): void {
    for (const t of [...this.first, ...this.second]) t?.dispose();
    this.first.fill(undefined);
    this.second.fill(undefined);
  }
}
