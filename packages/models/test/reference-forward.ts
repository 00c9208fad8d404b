// Plain-TypeScript reference forward passes (loops over arrays, no tfjs) of GPT-2 (Radford et al. 2019)
// and LLaMA (Touvron et al. 2023), used only to check the tfjs implementation.
import type { Gpt2Config, LlamaConfig } from '../src/config.js';
import type { HostTensor } from '../src/weights.js';

type Weights = Map<string, HostTensor>;

function w(weights: Weights, name: string): Float32Array {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`reference: missing ${name}`);
  return t.data;
}

/** y = x W for W stored [in, out]. */
function matVecInOut(x: number[], weight: Float32Array, outSize: number, bias?: Float32Array): number[] {
  const y = new Array<number>(outSize).fill(0);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    for (let j = 0; j < outSize; j++) y[j]! += xi * weight[i * outSize + j]!;
  }
  if (bias) for (let j = 0; j < outSize; j++) y[j]! += bias[j]!;
  return y;
}

/** y = W x for W stored [out, in]. */
function matVecOutIn(x: number[], weight: Float32Array, outSize: number): number[] {
  const y = new Array<number>(outSize).fill(0);
  for (let j = 0; j < outSize; j++) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += weight[j * x.length + i]! * x[i]!;
    y[j] = s;
  }
  return y;
}

function layerNorm(x: number[], g: Float32Array, b: Float32Array, eps: number): number[] {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!);
}

function rmsNorm(x: number[], g: Float32Array, eps: number): number[] {
  const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
  return x.map((v, i) => (v / Math.sqrt(ms + eps)) * g[i]!);
}

function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** Causal attention for one sequence; q/k/v indexed [token][dim]; kv head of query head h is h / group. */
function attend(
  q: number[][],
  k: number[][],
  v: number[][],
  heads: number,
  kvHeads: number,
  headDim: number,
): number[][] {
  const group = heads / kvHeads;
  return q.map((qt, t) => {
    const out = new Array<number>(heads * headDim).fill(0);
    for (let h = 0; h < heads; h++) {
      const kh = Math.floor(h / group);
      const scores: number[] = [];
      for (let s = 0; s <= t; s++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += qt[h * headDim + d]! * k[s]![kh * headDim + d]!;
        scores.push(dot / Math.sqrt(headDim));
      }
      const max = Math.max(...scores);
      const exps = scores.map((x) => Math.exp(x - max));
      const total = exps.reduce((a, b) => a + b, 0);
      for (let s = 0; s <= t; s++) {
        const p = exps[s]! / total;
        for (let d = 0; d < headDim; d++) out[h * headDim + d]! += p * v[s]![kh * headDim + d]!;
      }
    }
    return out;
  });
}

function headLogits(x: number[], head: Float32Array, vocab: number): number[] {
  return matVecOutIn(x, head, vocab);
}

export function referenceGpt2(config: Gpt2Config, weights: Weights, ids: readonly number[]): number[][] {
  const d = config.hiddenSize;
  const headDim = d / config.numHeads;
  const wte = w(weights, 'transformer.wte.weight');
  const wpe = w(weights, 'transformer.wpe.weight');
  let x = ids.map((id, t) => Array.from({ length: d }, (_, i) => wte[id * d + i]! + wpe[t * d + i]!));
  for (let l = 0; l < config.numLayers; l++) {
    const p = `transformer.h.${l}`;
    const h = x.map((xt) =>
      layerNorm(xt, w(weights, `${p}.ln_1.weight`), w(weights, `${p}.ln_1.bias`), config.layerNormEpsilon),
    );
    const qkv = h.map((ht) =>
      matVecInOut(ht, w(weights, `${p}.attn.c_attn.weight`), 3 * d, w(weights, `${p}.attn.c_attn.bias`)),
    );
    const o = attend(
      qkv.map((r) => r.slice(0, d)),
      qkv.map((r) => r.slice(d, 2 * d)),
      qkv.map((r) => r.slice(2 * d)),
      config.numHeads,
      config.numHeads,
      headDim,
    );
    const a = o.map((ot) =>
      matVecInOut(ot, w(weights, `${p}.attn.c_proj.weight`), d, w(weights, `${p}.attn.c_proj.bias`)),
    );
    x = x.map((xt, t) => xt.map((v, i) => v + a[t]![i]!));
    const h2 = x.map((xt) =>
      layerNorm(xt, w(weights, `${p}.ln_2.weight`), w(weights, `${p}.ln_2.bias`), config.layerNormEpsilon),
    );
    const m = h2.map((ht) => {
      const f = matVecInOut(
        ht,
        w(weights, `${p}.mlp.c_fc.weight`),
        config.intermediateSize,
        w(weights, `${p}.mlp.c_fc.bias`),
      ).map(gelu);
      return matVecInOut(f, w(weights, `${p}.mlp.c_proj.weight`), d, w(weights, `${p}.mlp.c_proj.bias`));
    });
    x = x.map((xt, t) => xt.map((v, i) => v + m[t]![i]!));
  }
  return x.map((xt) =>
    headLogits(
      layerNorm(
        xt,
        w(weights, 'transformer.ln_f.weight'),
        w(weights, 'transformer.ln_f.bias'),
        config.layerNormEpsilon,
      ),
      wte,
      config.vocabSize,
    ),
  );
}

function rope(vec: number[], heads: number, headDim: number, position: number, theta: number): number[] {
  const out = [...vec];
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = position / theta ** ((2 * i) / headDim);
      const a = vec[h * headDim + i]!;
      const b = vec[h * headDim + i + half]!;
      out[h * headDim + i] = a * Math.cos(angle) - b * Math.sin(angle);
      out[h * headDim + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
    }
  }
  return out;
}

export function referenceLlama(config: LlamaConfig, weights: Weights, ids: readonly number[]): number[][] {
  const d = config.hiddenSize;
  const { numHeads, numKeyValueHeads, headDim } = config;
  const emb = w(weights, 'model.embed_tokens.weight');
  let x = ids.map((id) => Array.from(emb.subarray(id * d, (id + 1) * d)));
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    const h = x.map((xt) => rmsNorm(xt, w(weights, `${p}.input_layernorm.weight`), config.rmsNormEpsilon));
    const q = h.map((ht, t) =>
      rope(
        matVecOutIn(ht, w(weights, `${p}.self_attn.q_proj.weight`), numHeads * headDim),
        numHeads,
        headDim,
        t,
        config.ropeTheta,
      ),
    );
    const k = h.map((ht, t) =>
      rope(
        matVecOutIn(ht, w(weights, `${p}.self_attn.k_proj.weight`), numKeyValueHeads * headDim),
        numKeyValueHeads,
        headDim,
        t,
        config.ropeTheta,
      ),
    );
    const v = h.map((ht) =>
      matVecOutIn(ht, w(weights, `${p}.self_attn.v_proj.weight`), numKeyValueHeads * headDim),
    );
    const o = attend(q, k, v, numHeads, numKeyValueHeads, headDim);
    const a = o.map((ot) => matVecOutIn(ot, w(weights, `${p}.self_attn.o_proj.weight`), d));
    x = x.map((xt, t) => xt.map((val, i) => val + a[t]![i]!));
    const h2 = x.map((xt) =>
      rmsNorm(xt, w(weights, `${p}.post_attention_layernorm.weight`), config.rmsNormEpsilon),
    );
    const m = h2.map((ht) => {
      const g = matVecOutIn(ht, w(weights, `${p}.mlp.gate_proj.weight`), config.intermediateSize);
      const u = matVecOutIn(ht, w(weights, `${p}.mlp.up_proj.weight`), config.intermediateSize);
      const f = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]!);
      return matVecOutIn(f, w(weights, `${p}.mlp.down_proj.weight`), d);
    });
    x = x.map((xt, t) => xt.map((val, i) => val + m[t]![i]!));
  }
  const head = w(weights, config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  return x.map((xt) =>
    headLogits(rmsNorm(xt, w(weights, 'model.norm.weight'), config.rmsNormEpsilon), head, config.vocabSize),
  );
}
