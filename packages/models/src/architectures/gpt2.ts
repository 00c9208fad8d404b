// GPT-2 (Radford et al. 2019): pre-LN blocks, tanh-GELU MLP, Conv1D weights stored [in, out], tied head.
import {
  GELU_TANH_KERNEL,
  hasKernel,
  LAYER_NORM_KERNEL,
  type Tensor1D,
  type Tensor2D,
  tf,
} from '@llmedit/core';
import type { Gpt2Config } from '../config.js';
import type { ArchitectureOps, WeightGetter, WeightSpec } from './types.js';

const block = (layer: number) => `transformer.h.${layer}`;

export function gpt2WeightSpecs(config: Gpt2Config): WeightSpec[] {
  const d = config.hiddenSize;
  const inner = config.intermediateSize;
  const normal = { kind: 'normal', std: 0.02 } as const;
  // GPT-2 scales the init of residual output projections by 1/sqrt(2 * layers).
  const residualNormal = { kind: 'normal', std: 0.02 / Math.sqrt(2 * config.numLayers) } as const;
  const ones = { kind: 'ones' } as const;
  const zeros = { kind: 'zeros' } as const;
  const specs: WeightSpec[] = [
    { name: 'transformer.wte.weight', shape: [config.vocabSize, d], init: normal },
    { name: 'transformer.wpe.weight', shape: [config.maxPositions, d], init: { kind: 'normal', std: 0.01 } },
  ];
  for (let l = 0; l < config.numLayers; l++) {
    const b = block(l);
    specs.push(
      { name: `${b}.ln_1.weight`, shape: [d], init: ones },
      { name: `${b}.ln_1.bias`, shape: [d], init: zeros },
      { name: `${b}.attn.c_attn.weight`, shape: [d, 3 * d], init: normal },
      { name: `${b}.attn.c_attn.bias`, shape: [3 * d], init: zeros },
      { name: `${b}.attn.c_proj.weight`, shape: [d, d], init: residualNormal },
      { name: `${b}.attn.c_proj.bias`, shape: [d], init: zeros },
      { name: `${b}.ln_2.weight`, shape: [d], init: ones },
      { name: `${b}.ln_2.bias`, shape: [d], init: zeros },
      { name: `${b}.mlp.c_fc.weight`, shape: [d, inner], init: normal },
      { name: `${b}.mlp.c_fc.bias`, shape: [inner], init: zeros },
      { name: `${b}.mlp.c_proj.weight`, shape: [inner, d], init: residualNormal },
      { name: `${b}.mlp.c_proj.bias`, shape: [d], init: zeros },
    );
  }
  specs.push(
    { name: 'transformer.ln_f.weight', shape: [d], init: ones },
    { name: 'transformer.ln_f.bias', shape: [d], init: zeros },
  );
  return specs;
}

/** Names in HF GPT-2 checkpoints may lack the `transformer.` prefix; `lm_head.weight` duplicates wte. */
export function normalizeGpt2WeightName(name: string): string | undefined {
  if (name === 'lm_head.weight' || name.endsWith('.attn.bias') || name.endsWith('.attn.masked_bias')) {
    return undefined;
  }
  return name.startsWith('transformer.') ? name : `transformer.${name}`;
}

export function layerNorm(x: Tensor2D, weight: Tensor1D, bias: Tensor1D, epsilon: number): Tensor2D {
  if (x.rank === 2 && x.dtype === 'float32' && hasKernel(LAYER_NORM_KERNEL)) {
    // The native path's fused kernel (one pass, and one for the gradient); it also returns the rows' statistics.
    return tf.tidy(() => {
      const [y] = tf
        .engine()
        .runKernel(LAYER_NORM_KERNEL, { x, gamma: weight, beta: bias }, { epsilon }) as Tensor2D[];
      return y!;
    });
  }
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), weight), bias) as Tensor2D;
  });
}

/**
 * tanh-GELU written as x * sigmoid(2 * sqrt(2/pi) * (x + 0.044715 x^3)), an exact identity; wasm's Sigmoid
 * is vectorised and its Tanh is not (perf.md section 3). On the native path with llmedit's kernels built, one
 * fused kernel (and one for its gradient) replaces the dozen elementwise passes.
 */
export function geluTanh(x: Tensor2D): Tensor2D {
  if (x.dtype === 'float32' && hasKernel(GELU_TANH_KERNEL)) {
    return tf.engine().runKernel(GELU_TANH_KERNEL, { x }) as Tensor2D;
  }
  return tf.tidy(() => {
    // x*x*x, not pow(x, 3): wasm's Pow is scalar and took a quarter of the forward.
    const inner = tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715));
    return tf.mul(x, tf.sigmoid(tf.mul(inner, 2 * Math.sqrt(2 / Math.PI)))) as Tensor2D;
  });
}

function linear(x: Tensor2D, weight: Tensor2D, bias: Tensor1D): Tensor2D {
  return tf.add(tf.matMul(x, weight), bias) as Tensor2D;
}

export function gpt2Ops(config: Gpt2Config, get: WeightGetter): ArchitectureOps {
  const w2 = (name: string) => get(name) as Tensor2D;
  const w1 = (name: string) => get(name) as Tensor1D;
  const eps = config.layerNormEpsilon;
  return {
    headWeightName: 'transformer.wte.weight',
    embed(ids, positions) {
      return tf.add(
        tf.gather(w2('transformer.wte.weight'), ids),
        tf.gather(w2('transformer.wpe.weight'), positions),
      ) as Tensor2D;
    },
    preAttentionNorm(l, x) {
      return layerNorm(x, w1(`${block(l)}.ln_1.weight`), w1(`${block(l)}.ln_1.bias`), eps);
    },
    queryKeyValue(l, h) {
      const qkv = linear(h, w2(`${block(l)}.attn.c_attn.weight`), w1(`${block(l)}.attn.c_attn.bias`));
      const [q, k, v] = tf.split(qkv, 3, 1) as [Tensor2D, Tensor2D, Tensor2D];
      return { q, k, v };
    },
    rotate(q, k) {
      return { q, k };
    },
    attentionOutput(l, o) {
      return linear(o, w2(`${block(l)}.attn.c_proj.weight`), w1(`${block(l)}.attn.c_proj.bias`));
    },
    preMlpNorm(l, x) {
      return layerNorm(x, w1(`${block(l)}.ln_2.weight`), w1(`${block(l)}.ln_2.bias`), eps);
    },
    mlpPreActivation(l, h) {
      return linear(h, w2(`${block(l)}.mlp.c_fc.weight`), w1(`${block(l)}.mlp.c_fc.bias`));
    },
    mlpKey(_l, pre) {
      return geluTanh(pre);
    },
    mlpOutput(l, key) {
      return linear(key, w2(`${block(l)}.mlp.c_proj.weight`), w1(`${block(l)}.mlp.c_proj.bias`));
    },
    finalNorm(x) {
      return layerNorm(x, w1('transformer.ln_f.weight'), w1('transformer.ln_f.bias'), eps);
    },
  };
}

/** Hugging Face names of the hook-relevant weights of one GPT-2 block. */
export const gpt2Names = {
  mlpOutProjection: (l: number) => `${block(l)}.mlp.c_proj.weight`,
  mlpInProjection: (l: number) => `${block(l)}.mlp.c_fc.weight`,
  attnOutProjection: (l: number) => `${block(l)}.attn.c_proj.weight`,
};
