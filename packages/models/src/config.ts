import { InvalidRequestError, UnsupportedModelError } from '@llmedit/core';

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
    const config = withIds<Gpt2Config>(
      {
        architecture: 'gpt2',
        vocabSize: field(json, 'vocab_size'),
        maxPositions: field(json, 'n_positions'),
        hiddenSize,
        numLayers: field(json, 'n_layer'),
        numHeads: field(json, 'n_head'),
        intermediateSize:
          json.n_inner === undefined || json.n_inner === null ? 4 * hiddenSize : field(json, 'n_inner'),
        layerNormEpsilon: field(json, 'layer_norm_epsilon', 1e-5),
      },
      json,
    );
    checkConfig(config);
    return config;
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
    const config = withIds<LlamaConfig>(
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
    checkConfig(config);
    return config;
  }
  throw new UnsupportedModelError(
    `config.json: model_type '${String(modelType)}' is not supported (supported: gpt2, llama, mistral)`,
  );
}

// config.json key of each typed field, so an error names the key the user wrote.
const GPT2_KEYS: Record<string, string> = {
  vocabSize: 'vocab_size',
  maxPositions: 'n_positions',
  hiddenSize: 'n_embd',
  numLayers: 'n_layer',
  numHeads: 'n_head',
  intermediateSize: 'n_inner',
  layerNormEpsilon: 'layer_norm_epsilon',
};
const LLAMA_KEYS: Record<string, string> = {
  vocabSize: 'vocab_size',
  maxPositions: 'max_position_embeddings',
  hiddenSize: 'hidden_size',
  numLayers: 'num_hidden_layers',
  numHeads: 'num_attention_heads',
  numKeyValueHeads: 'num_key_value_heads',
  headDim: 'head_dim',
  intermediateSize: 'intermediate_size',
  rmsNormEpsilon: 'rms_norm_eps',
  ropeTheta: 'rope_theta',
};

/**
 * The invariants the model code relies on, checked before any weight is built: positive integer sizes,
 * positive epsilons and rope base, heads that divide the width (GPT-2) and key/value heads that divide
 * the heads (LLaMA), special token ids inside the vocabulary. Without them a config loads and then fails
 * with a raw tfjs error at first use, or silently computes NaN. Throws UnsupportedModelError naming the
 * config.json key.
 */
export function checkConfig(config: ModelConfig): void {
  const keys = config.architecture === 'gpt2' ? GPT2_KEYS : LLAMA_KEYS;
  const fail = (name: string, rule: string): never => {
    const value = (config as unknown as Record<string, unknown>)[name];
    throw new UnsupportedModelError(
      `config.json: field '${keys[name] ?? name}' ${rule}, got ${JSON.stringify(value)}`,
    );
  };
  const sizes =
    config.architecture === 'gpt2'
      ? (['vocabSize', 'maxPositions', 'hiddenSize', 'numLayers', 'numHeads', 'intermediateSize'] as const)
      : ([
          'vocabSize',
          'maxPositions',
          'hiddenSize',
          'numLayers',
          'numHeads',
          'numKeyValueHeads',
          'headDim',
          'intermediateSize',
        ] as const);
  const record = config as unknown as Record<string, unknown>;
  for (const name of sizes) {
    const value = record[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      fail(name, 'must be a positive integer');
    }
  }
  const positive = config.architecture === 'gpt2' ? ['layerNormEpsilon'] : ['rmsNormEpsilon', 'ropeTheta'];
  for (const name of positive) {
    const value = record[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      fail(name, 'must be a positive finite number');
    }
  }
  if (config.architecture === 'gpt2') {
    if (config.hiddenSize % config.numHeads !== 0) {
      fail('numHeads', `must divide n_embd (${config.hiddenSize}) into whole heads`);
    }
  } else {
    if (config.numHeads % config.numKeyValueHeads !== 0) {
      fail('numKeyValueHeads', `must divide num_attention_heads (${config.numHeads})`);
    }
    // Rotary embeddings pair dimension i with i + headDim / 2.
    if (config.headDim % 2 !== 0) fail('headDim', 'must be even (rotary positions pair the dimensions)');
  }
  for (const [key, id] of [
    ['bos_token_id', config.bosTokenId],
    ['eos_token_id', config.eosTokenId],
  ] as const) {
    if (id !== undefined && (!Number.isSafeInteger(id) || id < 0 || id >= config.vocabSize)) {
      throw new UnsupportedModelError(
        `config.json: field '${key}' must be a token id below vocab_size (${config.vocabSize}), got ${id}`,
      );
    }
  }
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

/**
 * A layer index of a method's hyperparameters, negative counting from the end (-1 is the last layer), as an
 * index into the model's layers; a typed error naming the method's `layer` field when it is outside them.
 */
export function resolveLayer(config: ModelConfig, layer: number, context: string): number {
  const { numLayers } = config;
  const resolved = layer < 0 ? numLayers + layer : layer;
  if (resolved < 0 || resolved >= numLayers) {
    throw new InvalidRequestError(context, 'layer', `${layer} is outside the model's ${numLayers} layers`);
  }
  return resolved;
}
