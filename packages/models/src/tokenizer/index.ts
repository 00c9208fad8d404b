export { BpeTokenizer, fromTokenizerJson } from './bpe-tokenizer.js';
export { fromGpt2Files } from './loaders.js';
export { type TrainByteLevelBpeOptions, trainByteLevelBpe } from './trainer.js';
export type { DecodeOptions, EncodeOptions, SpecialTokenOverrides, Tokenizer } from './types.js';
