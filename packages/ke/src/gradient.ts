// KnowledgeEditor (De Cao et al. 2021, arXiv:2104.08164) eq. 4: the hypernetwork's input ∇_W L(W; x, a), the
// fine-tuning gradient of the edit's target NLL at each edited weight (a linear layer's Σ_t u_t δ_tᵀ).
import { type EditRequest, type Tensor, tf } from '@llmedit/core';
import { disposeFactors, editFactors, type TargetExample } from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
import type { EditedWeight } from './editor.js';

/** ∇_W of the examples' summed mean target NLL at each edited weight, by name, in storage orientation. */
export function editGradients(
  model: CausalLM,
  examples: readonly TargetExample[],
  weights: readonly EditedWeight[],
): Map<string, Tensor> {
  const factors = editFactors(
    model,
    examples,
    weights.map((w) => w.layer),
  );
  try {
    return new Map(
      weights.map((w, i) => {
        const { x, delta } = factors[i]!;
        const gradient =
          w.location.orientation === 'in-out'
            ? tf.matMul(x, delta, true, false)
            : tf.matMul(delta, x, true, false);
        return [w.location.name, gradient];
      }),
    );
  } finally {
    disposeFactors(factors);
  }
}

/**
 * The hypernetwork's condition for a request as the reference's data sets write it: "{ground truth} >> {new
 * target} || {prompt}" (EasyEdit zsre.py/counterfact.py `cond`), as token ids cut to `maxLength`.
 */
export function conditionIds(model: CausalLM, request: EditRequest, maxLength: number): number[] {
  const text = `${request.groundTruth ?? ''} >> ${request.targetNew} || ${request.prompt}`;
  return model.requireTokenizer().encode(text).slice(0, maxLength);
}
