// MEND (Mitchell et al. 2022) sec. 3.2 / KE (De Cao et al. 2021) eq. 3: the editor's gradient by the chain rule
// through θ' = θ + Δ(φ), dL/dφ = Σ_W ⟨∂L/∂θ'_W, ∂Δ_W/∂φ⟩, with the weights' gradients ∂L/∂θ'_W held constant.
import { type Tensor, tf, type Variable } from '@llmedit/core';

/**
 * dL/dφ for each trainable variable (by its key in `trainables`), given the loss's gradient at each edited
 * weight (by weight name) and `deltas`, which recomputes the editor's weight changes from φ. The caller owns
 * the returned tensors; `weightGradients` are left to the caller.
 */
export function gradientsThroughDeltas(
  trainables: ReadonlyMap<string, Variable>,
  deltas: () => ReadonlyMap<string, Tensor>,
  weightGradients: ReadonlyMap<string, Tensor>,
): Record<string, Tensor> {
  const { value, grads } = tf.variableGrads(() => {
    const terms = [...deltas()].map(([name, delta]) => tf.sum(tf.mul(delta, weightGradients.get(name)!)));
    return tf.addN(terms) as never;
  }, [...trainables.values()]);
  value.dispose();
  return Object.fromEntries([...trainables].map(([name, v]) => [name, grads[v.name]!]));
}
