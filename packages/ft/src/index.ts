export { Adam, type AdamOptions } from './adam.js';
export { type FtInfo, fineTune, trainableWeightNames } from './fine-tune.js';
export { type FtHparams, type FtObjective, ftLHparams, ftMHparams } from './hparams.js';
export { buildExample, type FtExample, ftLoss } from './loss.js';
export { ftL, ftM } from './method.js';
export {
  type FtMethodId,
  type FtPresetName,
  ftFromEasyEdit,
  ftPreset,
  ftPresets,
  loadFtYaml,
  readFtYaml,
} from './presets.js';
export {
  type TrainWeightsOptions,
  type TrainWeightsStats,
  trainWeights,
  type WeightBatch,
} from './train-weights.js';
