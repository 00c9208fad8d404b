import type { ModelConfig } from '@llmedit/models';

/** The part of a model's config that tells public checkpoints apart. */
export interface CheckpointShape {
  /** `ModelConfig.architecture` ('gpt2', 'llama'; Mistral folders load as 'llama'). */
  architecture: string;
  numLayers: number;
  hiddenSize: number;
  /** MLP width; needed where depth and width alone are shared (LLaMA-2-7B, LLaMA-3-8B, Mistral-7B). */
  intermediateSize: number;
  /** Vocabulary size, where MLP width is shared too (LLaMA-3-8B and Mistral-7B). */
  vocabSize?: number;
}

/** A public checkpoint the method packages ship EasyEdit's presets for (`hparams/<preset>.json`). */
export interface KnownCheckpoint {
  /** The preset name in every method package. */
  preset: string;
  /** The Hugging Face checkpoint EasyEdit's files were written for. */
  checkpoint: string;
  shape: CheckpointShape;
}

/**
 * The public checkpoints with presets, by config shape. A user's folder gets a checkpoint's presets only
 * when its config has that checkpoint's shape: a GPT-2 small folder is not GPT-2 XL, and has no preset.
 * GPT-J folders do not load in @llmedit/models yet (architecture 'gptj'); the row says where the
 * packages' gpt-j-6b files apply once they do.
 */
export const KNOWN_CHECKPOINTS: readonly KnownCheckpoint[] = [
  {
    preset: 'gpt2-xl',
    checkpoint: 'openai-community/gpt2-xl',
    shape: { architecture: 'gpt2', numLayers: 48, hiddenSize: 1600, intermediateSize: 6400 },
  },
  {
    preset: 'gpt-j-6b',
    checkpoint: 'EleutherAI/gpt-j-6b',
    shape: { architecture: 'gptj', numLayers: 28, hiddenSize: 4096, intermediateSize: 16384 },
  },
  {
    preset: 'llama-2-7b',
    checkpoint: 'meta-llama/Llama-2-7b-hf (and -chat-hf)',
    shape: { architecture: 'llama', numLayers: 32, hiddenSize: 4096, intermediateSize: 11008 },
  },
  {
    preset: 'llama-3-8b',
    checkpoint: 'meta-llama/Meta-Llama-3-8B',
    shape: {
      architecture: 'llama',
      numLayers: 32,
      hiddenSize: 4096,
      intermediateSize: 14336,
      vocabSize: 128256,
    },
  },
  {
    preset: 'mistral-7b',
    checkpoint: 'mistralai/Mistral-7B-v0.1',
    shape: {
      architecture: 'llama',
      numLayers: 32,
      hiddenSize: 4096,
      intermediateSize: 14336,
      vocabSize: 32000,
    },
  },
];

type ShapeOf = Pick<ModelConfig, 'numLayers' | 'hiddenSize' | 'intermediateSize' | 'vocabSize'> & {
  architecture: string;
};

/** The known checkpoint whose shape `config` has, or undefined. */
export function knownCheckpoint(config: ShapeOf): KnownCheckpoint | undefined {
  return KNOWN_CHECKPOINTS.find(
    ({ shape }) =>
      shape.architecture === config.architecture &&
      shape.numLayers === config.numLayers &&
      shape.hiddenSize === config.hiddenSize &&
      shape.intermediateSize === config.intermediateSize &&
      (shape.vocabSize === undefined || shape.vocabSize === config.vocabSize),
  );
}

/** 'gpt2, 12 layers, hidden 768, MLP 3072, vocabulary 50257'. */
export function describeShape(config: ShapeOf): string {
  return (
    `${config.architecture}, ${config.numLayers} layers, hidden ${config.hiddenSize}, ` +
    `MLP ${config.intermediateSize}, vocabulary ${config.vocabSize}`
  );
}

/** Methods for which `--layers auto` stands in for a missing preset (the ones that edit located layers). */
export const LAYERS_AUTO_METHODS: ReadonlySet<string> = new Set(['rome', 'r-rome', 'memit']);

/** The preset whose values `--layers auto` starts from, before its layers are replaced. */
export const LAYERS_AUTO_BASE_PRESET = 'gpt2-xl';

/** What a user does about a method without a preset for the model (the end of the error message). */
export function missingPresetRemedy(methodId: string): string {
  return (
    `pass --hparams ${methodId}=FILE (a JSON object of its hyperparameters, or an EasyEdit YAML)` +
    (LAYERS_AUTO_METHODS.has(methodId)
      ? ', or --layers auto (GPT-2 XL values at the layers a causal trace of the model picks)'
      : '')
  );
}
