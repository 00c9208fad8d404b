export { type BuiltCheckpoint, buildCheckpoint, END_OF_TEXT } from './build-checkpoint.js';
export {
  CHECKPOINT_NAMES,
  type CheckpointName,
  checkpointDir,
  loadPretrained,
  readTrainingReport,
} from './checkpoints.js';
export {
  type CommandLine,
  type CommandLineOptions,
  commandLineOrExit,
  type ParsedFlags,
  parseCommandLine,
  runCommandLine,
} from './cli/command-line.js';
export * from './corpus/index.js';
export { type ProbeAccuracy, probeAccuracy, probeReport, probeTable } from './evaluation/probe-accuracy.js';
export { defaultPreset, type ModelPreset, microPreset, presets } from './presets.js';
export * from './probes/index.js';
export { AdamW, type AdamWOptions, warmupCosine } from './train/adamw.js';
export { parseTrainArtifactArgs, type TrainArtifactArgs, trainArtifactUsage } from './train/artifact-args.js';
export { type ArtifactTraining, runArtifactTraining } from './train/artifact-command.js';
export {
  contiguousShards,
  DataParallelGradients,
  type ShardedGradients,
  type ShardLoss,
  type ShardLossModule,
  shardGradients,
} from './train/data-parallel.js';
export {
  languageModelLoss,
  languageModelShardLoss,
  languageModelShardLossModule,
  nextTokenLoss,
  predictedTokens,
} from './train/lm-loss.js';
export { formatSeconds, ProgressBar } from './train/progress.js';
export {
  type TokenDocuments,
  type TrainOptions,
  type TrainReport,
  trainLanguageModel,
} from './train/trainer.js';
