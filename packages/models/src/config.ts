import { UnsupportedModelError } from '@llmedit/core';

/** GPT-2: learned positions, LayerNorm, tanh-GELU MLP, Conv1D weights stored [in, out], head tied to wte. */
export interface Gpt2Config {
  architecture: 'gpt2';
  vocabSize: number;
  maxPositions: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** MLP width; GPT-2 uses 4 x hiddenSize when the config leaves it null. */
  intermediateSize: number;
  layerNormEpsilon: number;
  bosTokenId?: number;
  eosTokenId?: number;
}

/** LLaMA: RMSNorm, rotary positions, SwiGLU MLP, grouped-query attention, untied head by default. */
export interface LlamaConfig {
  architecture: 'llama';
  vocabSize: number;
  maxPositions: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  intermediateSize: number;
  rmsNormEpsilon: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
}

export type ModelConfig = Gpt2Config | LlamaConfig;

type Json = Record<string, unknown>;

function field(json: Json, key: string, fallback?: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new UnsupportedModelError(
      `config.json: field '${key}' must be a number, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function optionalId(json: Json, key: string): number | undefined {
  const value = json[key];
  if (typeof value === 'number') return value;
  if (Array.isArray(value) && typeof value[0] === 'number') return value[0];
  return undefined;
}

function withIds<C extends ModelConfig>(config: C, json: Json): C {
  const bos = optionalId(json, 'bos_token_id');
  const eos = optionalId(json, 'eos_token_id');
  if (bos !== undefined) config.bosTokenId = bos;
  if (eos !== undefined) config.eosTokenId = eos;
  return config;
}

/** Read a Hugging Face `config.json` object (GPT-2 or LLaMA-family) into a typed config. */
export function parseHfConfig(input: unknown): ModelConfig {
  if (typeof input !== 'object' || input === null) {
    throw new UnsupportedModelError('config.json must hold a JSON object');
  }
  const json = input as Json;
  const modelType = json.model_type;
  if (modelType === 'gpt2') {
    const hiddenSize = field(json, 'n_embd');
    const activation = json.activation_function ?? 'gelu_new';
    if (activation !== 'gelu_new' && activation !== 'gelu_pytorch_tanh') {
      throw new UnsupportedModelError(
        `config.json: GPT-2 activation '${String(activation)}' is not supported`,
      );
    }
    return withIds(
      {
        architecture: 'gpt2',
        vocabSize: field(json, 'vocab_size'),
        maxPositions: field(json, 'n_positions'),
        hiddenSize,
        numLayers: field(json, 'n_layer'),
        numHeads: field(json, 'n_head'),
        intermediateSize: typeof json.n_inner === 'number' ? json.n_inner : 4 * hiddenSize,
        layerNormEpsilon: field(json, 'layer_norm_epsilon', 1e-5),
      },
      json,
    );
  }
  if (modelType === 'llama' || modelType === 'mistral' || modelType === 'qwen2') {
    const hiddenSize = field(json, 'hidden_size');
    const numHeads = field(json, 'num_attention_heads');
    if (json.rope_scaling !== undefined && json.rope_scaling !== null) {
      throw new UnsupportedModelError('config.json: rope_scaling is not supported yet');
    }
    if (modelType === 'qwen2') {
      throw new UnsupportedModelError(
        'config.json: qwen2 (attention biases) is not supported yet; use llama',
      );
    }
    return withIds(
      {
        architecture: 'llama',
        vocabSize: field(json, 'vocab_size'),
        maxPositions: field(json, 'max_position_embeddings', 2048),
        hiddenSize,
        numLayers: field(json, 'num_hidden_layers'),
        numHeads,
        numKeyValueHeads: field(json, 'num_key_value_heads', numHeads),
        headDim: field(json, 'head_dim', hiddenSize / numHeads),
        intermediateSize: field(json, 'intermediate_size'),
        rmsNormEpsilon: field(json, 'rms_norm_eps', 1e-6),
        ropeTheta: field(json, 'rope_theta', 10000),
        tieWordEmbeddings: json.tie_word_embeddings === true,
      },
      json,
    );
  }
  throw new UnsupportedModelError(
    `config.json: model_type '${String(modelType)}' is not supported (supported: gpt2, llama, mistral)`,
  );
}

/** The Hugging Face `config.json` object for a config (what `saveModel` writes). */
export function toHfConfig(config: ModelConfig): Json {
  const ids = {
    ...(config.bosTokenId === undefined ? {} : { bos_token_id: config.bosTokenId }),
    ...(config.eosTokenId === undefined ? {} : { eos_token_id: config.eosTokenId }),
  };
  if (config.architecture === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: config.vocabSize,
      n_positions: config.maxPositions,
      n_ctx: config.maxPositions,
      n_embd: config.hiddenSize,
      n_layer: config.numLayers,
      n_head: config.numHeads,
      n_inner: config.intermediateSize,
      activation_function: 'gelu_new',
      layer_norm_epsilon: config.layerNormEpsilon,
      tie_word_embeddings: true,
      torch_dtype: 'float32',
      ...ids,
    };
  }
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: config.vocabSize,
    max_position_embeddings: config.maxPositions,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    intermediate_size: config.intermediateSize,
    rms_norm_eps: config.rmsNormEpsilon,
    rope_theta: config.ropeTheta,
    tie_word_embeddings: config.tieWordEmbeddings,
    hidden_act: 'silu',
    torch_dtype: 'float32',
    ...ids,
  };
}

/** Hidden width of the MLP key (input of the MLP output projection) for a config. */
export function mlpKeySize(config: ModelConfig): number {
  return config.intermediateSize;
}
