// Fidelity of FT-L / FT-M to EasyEdit easyeditor/models/ft/ft_main.py (reference/easyedit.md section 4.1), expected values by hand.
import { type EditRequest, initBackend, type Scalar, type Tensor, tf } from '@llmedit/core';
import { type CausalLM, encodeTargetPair } from '@llmedit/models';
import { loadMicroModel, MICRO_REQUEST } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fineTune } from './fine-tune.js';
import type { FtHparams, FtObjective } from './hparams.js';
import { ftPreset } from './presets.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadMicroModel();
});

afterAll(() => model.dispose());

// A target of several tokens, so that FT-L (bag of tokens at the last prompt position) and FT-M
// (teacher-forced, prompt masked) are different losses.
const multiToken: EditRequest = { prompt: 'The Eiffel Tower is located in', targetNew: 'Rome' };

/** Which (position, label) pairs a hand-written loss scores, each with weight 1 / |targets|. */
type Labels = 'ft-l' | 'ft-m' | 'ft-m-unmasked';

/**
 * The gradient of a hand-written loss w.r.t. `names`: one forward over the whole sequence with every
 * logit, log-softmax, and a dense [tokens, vocab] weight matrix built here (not the package's picks).
 */
function handGradient(request: EditRequest, labels: Labels, names: readonly string[]): Float64Array[] {
  const { promptIds, targetIds } = encodeTargetPair(model, request.prompt, request.targetNew);
  const ids = labels === 'ft-l' ? promptIds : [...promptIds, ...targetIds];
  const vocab = model.config.vocabSize;
  const weights = new Float32Array(ids.length * vocab);
  const last = promptIds.length - 1;
  if (labels === 'ft-l') {
    for (const t of targetIds) weights[last * vocab + t]! += 1 / targetIds.length;
  } else if (labels === 'ft-m') {
    // Token j of the target is predicted at the position before it; prompt tokens are not labels.
    targetIds.forEach((t, j) => {
      weights[(last + j) * vocab + t]! += 1 / targetIds.length;
    });
  } else {
    // Every next token of the sequence, prompt included (what the mask of FT-M removes).
    for (let p = 0; p + 1 < ids.length; p++)
      weights[p * vocab + (ids[p + 1] as number)]! += 1 / targetIds.length;
  }
  const variables = names.map((name) => model.weight(name));
  const { value, grads } = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const { logits } = model.forward(
          { ids: [ids], attentionMask: [ids.map(() => 1)] },
          { logits: 'all' },
        );
        const logProbs = tf.logSoftmax(tf.reshape(logits as Tensor, [ids.length, vocab]));
        return tf.neg(tf.sum(tf.mul(logProbs, tf.tensor2d(weights, [ids.length, vocab]))));
      }) as Scalar,
    variables,
  );
  value.dispose();
  const out = variables.map((variable) => Float64Array.from((grads[variable.name] as Tensor).dataSync()));
  for (const g of Object.values(grads)) g.dispose();
  return out;
}

/**
 * Two steps of torch.optim.Adam (betas 0.9 / 0.999, eps 1e-8 outside the square root, no weight decay),
 * each followed by ft_main.py's clamp W <- clamp(W, W0 - eps, W0 + eps); returns W2 - W0 per weight.
 */
function handTwoSteps(
  request: EditRequest,
  labels: Labels,
  names: readonly string[],
  lr: number,
  eps: number,
) {
  const w0 = names.map((name) => Float64Array.from(model.weight(name).dataSync()));
  const m = w0.map((w) => new Float64Array(w.length));
  const v = w0.map((w) => new Float64Array(w.length));
  const w = w0.map((x) => Float64Array.from(x));
  try {
    for (let step = 1; step <= 2; step++) {
      const grads = handGradient(request, labels, names);
      names.forEach((_, i) => {
        const [wi, mi, vi, gi, w0i] = [w[i]!, m[i]!, v[i]!, grads[i]!, w0[i]!];
        for (let k = 0; k < wi.length; k++) {
          mi[k] = 0.9 * mi[k]! + 0.1 * gi[k]!;
          vi[k] = 0.999 * vi[k]! + 0.001 * gi[k]! ** 2;
          const mHat = mi[k]! / (1 - 0.9 ** step);
          const vHat = vi[k]! / (1 - 0.999 ** step);
          const next = wi[k]! - (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
          wi[k] = Math.min(Math.max(next, w0i[k]! - eps), w0i[k]! + eps);
        }
      });
      // The next gradient is taken at the updated weights.
      names.forEach((name, i) => {
        const current = model.weight(name);
        const next = tf.tensor(Float32Array.from(w[i]!), current.shape);
        model.setWeight(name, next);
        next.dispose();
      });
    }
  } finally {
    names.forEach((name, i) => {
      const original = tf.tensor(Float32Array.from(w0[i]!), model.weight(name).shape);
      model.setWeight(name, original);
      original.dispose();
    });
  }
  return w.map((wi, i) => wi.map((x, k) => x - w0[i]![k]!));
}

function maxAbsDiff(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let max = 0;
  a.forEach((ai, i) => {
    for (let k = 0; k < ai.length; k++)
      max = Math.max(max, Math.abs((ai[k] as number) - (b[i]![k] as number)));
  });
  return max;
}

async function packageTwoSteps(request: EditRequest, objective: FtObjective, lr: number, eps: number) {
  const hparams: FtHparams = {
    ...ftPreset(objective === 'prompt_last' ? 'ft-l' : 'ft-m', 'micro'),
    layers: [0],
    numSteps: 2,
    batchSize: 1,
    lr,
    weightDecay: 0,
    normConstraint: eps,
    lossThreshold: 0,
  };
  const outcome = await fineTune({ seed: 0 }, model, [request], hparams);
  const names = [...outcome.deltas.keys()];
  const deltas = names.map((name) => Float64Array.from((outcome.deltas.get(name) as Tensor).dataSync()));
  outcome.restore();
  outcome.dispose();
  return { names, deltas };
}

describe("FT follows EasyEdit's ft_main.py step for step", () => {
  // lr above eps / 2: the second step crosses the box for weights whose gradient keeps its sign, and not
  // for the others, so both the Adam step and the clamp show.
  const lr = 1e-3;
  const eps = 1.5e-3;
  const tolerance = lr * 1e-2;

  it('FT-M: two Adam steps on the prompt-masked teacher-forced NLL, each clamped to W0 +- eps', async () => {
    const { names, deltas } = await packageTwoSteps(multiToken, 'target_new', lr, eps);
    expect(names).toEqual(['transformer.h.0.mlp.c_proj.bias', 'transformer.h.0.mlp.c_proj.weight']);
    const expected = handTwoSteps(multiToken, 'ft-m', names, lr, eps);
    expect(maxAbsDiff(deltas, expected)).toBeLessThan(tolerance);
    // Both regimes occur: weights on the box edge and weights strictly inside it.
    const all = expected.flatMap((d) => Array.from(d, Math.abs));
    expect(all.filter((x) => Math.abs(x - eps) < 1e-9).length).toBeGreaterThan(0);
    expect(all.filter((x) => x > 1e-5 && x < eps - 1e-4).length).toBeGreaterThan(0);
    // The check can fail: the prompt tokens as labels too, or FT-L's loss, give other weights.
    expect(maxAbsDiff(deltas, handTwoSteps(multiToken, 'ft-m-unmasked', names, lr, eps))).toBeGreaterThan(
      10 * tolerance,
    );
    expect(maxAbsDiff(deltas, handTwoSteps(multiToken, 'ft-l', names, lr, eps))).toBeGreaterThan(
      10 * tolerance,
    );
  });

  it('FT-L: two Adam steps on -mean_j log P(t_j | prompt) at the last prompt position, clamped', async () => {
    const { names, deltas } = await packageTwoSteps(multiToken, 'prompt_last', lr, eps);
    const expected = handTwoSteps(multiToken, 'ft-l', names, lr, eps);
    expect(maxAbsDiff(deltas, expected)).toBeLessThan(tolerance);
    expect(maxAbsDiff(deltas, handTwoSteps(multiToken, 'ft-m', names, lr, eps))).toBeGreaterThan(
      10 * tolerance,
    );
  });

  it('FT-L and FT-M coincide for a one-token target (the same single label at the last prompt position)', async () => {
    const { names, deltas } = await packageTwoSteps(MICRO_REQUEST, 'prompt_last', lr, eps);
    expect(maxAbsDiff(deltas, handTwoSteps(MICRO_REQUEST, 'ft-m', names, lr, eps))).toBeLessThan(tolerance);
  });
});
