import type { Gpt2Config } from '@llmedit/models';
import type { TrainOptions } from './train/trainer.js';

/** Everything that determines a committed checkpoint: rerunning its preset reproduces it. */
export interface ModelPreset {
  name: string;
  description: string;
  /** The architecture; `vocabSize` is set from the trained tokenizer. */
  config: Omit<Gpt2Config, 'vocabSize' | 'eosTokenId' | 'bosTokenId'>;
  tokenizerVocabSize: number;
  corpus: {
    seed: number;
    prefixFraction: number;
    maxDocuments?: number;
    /** IKE blocks and context-only IKE blocks (see `BuildCorpusOptions`); the builder's defaults otherwise. */
    ikeBlocks?: number;
    contextOnlyBlocks?: number;
  };
  train: Omit<TrainOptions, 'stateDir' | 'onEval' | 'log'>;
  /** Probes per set in the periodic evaluation during training (the card uses all). */
  evalLimit: number;
}

/**
 * The default model (v2, issue 11): deep enough to have middle layers for ROME/MEMIT and trained to read its
 * context (context-only IKE blocks); trained data-parallel on two threads. (v1, 4 layers x d128, is in git
 * history before this change.)
 */
export const defaultPreset: ModelPreset = {
  name: 'default',
  description:
    'The default model of `pnpm bench`: knows the true facts of the evaluation split and reads new facts from its context.',
  config: {
    architecture: 'gpt2',
    maxPositions: 256,
    hiddenSize: 192,
    numLayers: 8,
    numHeads: 6,
    intermediateSize: 768,
    layerNormEpsilon: 1e-5,
  },
  tokenizerVocabSize: 4096,
  corpus: { seed: 1, prefixFraction: 0.3, ikeBlocks: 1500, contextOnlyBlocks: 3000 },
  train: {
    epochs: 12,
    batchTokens: 2048,
    learningRate: 2e-3,
    warmupFraction: 0.02,
    weightDecay: 0.01,
    seed: 1,
    threads: 2,
    checkpointEvery: 100,
    evalEvery: 1000,
  },
  evalLimit: 150,
};

/** A tiny model that trains in seconds, for unit tests of editing methods. */
export const microPreset: ModelPreset = {
  name: 'micro',
  description: 'A micro model for unit tests: trained in seconds on a small slice of the corpus.',
  config: {
    architecture: 'gpt2',
    maxPositions: 512,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 2,
    intermediateSize: 128,
    layerNormEpsilon: 1e-5,
  },
  tokenizerVocabSize: 512,
  corpus: { seed: 1, prefixFraction: 0, maxDocuments: 400 },
  train: { epochs: 30, batchTokens: 1024, learningRate: 1e-2, warmupFraction: 0.05, weightDecay: 0, seed: 1 },
  evalLimit: 50,
};

export const presets: Record<string, ModelPreset> = {
  default: defaultPreset,
  micro: microPreset,
};
