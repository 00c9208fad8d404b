// LLaMA (Touvron et al. 2023): RMSNorm, rotary embeddings (Su et al. 2021, eq. 34, HF rotate-half layout),
// SwiGLU MLP (Shazeer 2020), grouped-query attention; Linear weights stored [out, in].
import { type Tensor1D, type Tensor2D, tf } from '@llmedit/core';
import type { LlamaConfig } from '../config.js';
import type { ArchitectureOps, WeightGetter, WeightSpec } from './types.js';

const block = (layer: number) => `model.layers.${layer}`;

export function llamaWeightSpecs(config: LlamaConfig): WeightSpec[] {
  const d = config.hiddenSize;
  const qWidth = config.numHeads * config.headDim;
  const kvWidth = config.numKeyValueHeads * config.headDim;
  const inner = config.intermediateSize;
  const normal = { kind: 'normal', std: 0.02 } as const;
  const ones = { kind: 'ones' } as const;
  const specs: WeightSpec[] = [
    { name: 'model.embed_tokens.weight', shape: [config.vocabSize, d], init: normal },
  ];
  for (let l = 0; l < config.numLayers; l++) {
    const b = block(l);
    specs.push(
      { name: `${b}.input_layernorm.weight`, shape: [d], init: ones },
      { name: `${b}.self_attn.q_proj.weight`, shape: [qWidth, d], init: normal },
      { name: `${b}.self_attn.k_proj.weight`, shape: [kvWidth, d], init: normal },
      { name: `${b}.self_attn.v_proj.weight`, shape: [kvWidth, d], init: normal },
      { name: `${b}.self_attn.o_proj.weight`, shape: [d, qWidth], init: normal },
      { name: `${b}.post_attention_layernorm.weight`, shape: [d], init: ones },
      { name: `${b}.mlp.gate_proj.weight`, shape: [inner, d], init: normal },
      { name: `${b}.mlp.up_proj.weight`, shape: [inner, d], init: normal },
      { name: `${b}.mlp.down_proj.weight`, shape: [d, inner], init: normal },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [d], init: ones });
  if (!config.tieWordEmbeddings)
    specs.push({ name: 'lm_head.weight', shape: [config.vocabSize, d], init: normal });
  return specs;
}

export function normalizeLlamaWeightName(name: string, config: LlamaConfig): string | undefined {
  if (name.endsWith('.rotary_emb.inv_freq')) return undefined;
  if (name === 'lm_head.weight' && config.tieWordEmbeddings) return undefined;
  return name;
}

export function rmsNorm(x: Tensor2D, weight: Tensor1D, epsilon: number): Tensor2D {
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, epsilon))), weight) as Tensor2D;
  });
}

/** x @ W^T for a Linear weight stored [out, in]. */
function linear(x: Tensor2D, weight: Tensor2D): Tensor2D {
  return tf.matMul(x, weight, false, true);
}

/** cos/sin tables [tokens, headDim/2] for rotary embeddings at the given positions. */
function rotaryTables(positions: Tensor1D, headDim: number, theta: number): { cos: Tensor2D; sin: Tensor2D } {
  return tf.tidy(() => {
    const half = headDim / 2;
    const inverseFrequency = new Float32Array(half);
    for (let i = 0; i < half; i++) inverseFrequency[i] = 1 / theta ** ((2 * i) / headDim);
    const angles = tf.outerProduct(tf.cast(positions, 'float32'), tf.tensor1d(inverseFrequency)) as Tensor2D;
    return { cos: tf.cos(angles), sin: tf.sin(angles) };
  });
}

/** Rotate [tokens, heads * headDim] by position, HF layout: dims [0, d/2) pair with [d/2, d). */
function applyRotary(x: Tensor2D, heads: number, headDim: number, cos: Tensor2D, sin: Tensor2D): Tensor2D {
  return tf.tidy(() => {
    const tokens = x.shape[0];
    const half = headDim / 2;
    const x3 = tf.reshape(x, [tokens, heads, headDim]);
    const [first, second] = tf.split(x3, [half, half], 2);
    const c = tf.expandDims(cos, 1);
    const s = tf.expandDims(sin, 1);
    const rotated = tf.concat(
      [tf.sub(tf.mul(first!, c), tf.mul(second!, s)), tf.add(tf.mul(second!, c), tf.mul(first!, s))],
      2,
    );
    return tf.reshape(rotated, [tokens, heads * headDim]) as Tensor2D;
  });
}

export function llamaOps(config: LlamaConfig, get: WeightGetter): ArchitectureOps {
  const w2 = (name: string) => get(name) as Tensor2D;
  const w1 = (name: string) => get(name) as Tensor1D;
  const eps = config.rmsNormEpsilon;
  return {
    headWeightName: config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight',
    embed(ids) {
      return tf.gather(w2('model.embed_tokens.weight'), ids);
    },
    preAttentionNorm(l, x) {
      return rmsNorm(x, w1(`${block(l)}.input_layernorm.weight`), eps);
    },
    queryKeyValue(l, h) {
      return {
        q: linear(h, w2(`${block(l)}.self_attn.q_proj.weight`)),
        k: linear(h, w2(`${block(l)}.self_attn.k_proj.weight`)),
        v: linear(h, w2(`${block(l)}.self_attn.v_proj.weight`)),
      };
    },
    rotate(q, k, positions) {
      return tf.tidy(() => {
        const { cos, sin } = rotaryTables(positions, config.headDim, config.ropeTheta);
        return {
          q: applyRotary(q, config.numHeads, config.headDim, cos, sin),
          k: applyRotary(k, config.numKeyValueHeads, config.headDim, cos, sin),
        };
      });
    },
    attentionOutput(l, o) {
      return linear(o, w2(`${block(l)}.self_attn.o_proj.weight`));
    },
    preMlpNorm(l, x) {
      return rmsNorm(x, w1(`${block(l)}.post_attention_layernorm.weight`), eps);
    },
    mlpPreActivation(l, h) {
      return linear(h, w2(`${block(l)}.mlp.gate_proj.weight`));
    },
    mlpKey(l, gate, h) {
      return tf.tidy(() => {
        // SiLU(g) = g * sigmoid(g): sigmoid is vectorised on wasm.
        return tf.mul(
          tf.mul(gate, tf.sigmoid(gate)),
          linear(h, w2(`${block(l)}.mlp.up_proj.weight`)),
        ) as Tensor2D;
      });
    },
    mlpOutput(l, key) {
      return linear(key, w2(`${block(l)}.mlp.down_proj.weight`));
    },
    finalNorm(x) {
      return rmsNorm(x, w1('model.norm.weight'), eps);
    },
  };
}
