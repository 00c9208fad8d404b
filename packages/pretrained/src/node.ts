// The Node entry (the package's `node` export condition, and `@llmedit/pretrained/node`): the browser-safe
// entry plus the committed checkpoints read from this package's folder, the corpus builder (which reads the
// dataset files), the knowledge probes, data-parallel training on worker threads and the trainer.
export { type BuiltCheckpoint, buildCheckpoint, END_OF_TEXT } from './build-checkpoint.js';
export { checkpointDir, loadPretrained, readTrainingReport } from './checkpoints.js';
export {
  type CommandLine,
  type CommandLineOptions,
  commandLineOrExit,
  type ParsedFlags,
  parseCommandLine,
  runCommandLine,
} from './cli/command-line.js';
export {
  type BuildCorpusOptions,
  buildCorpus,
  CORPUS_KINDS,
  type Corpus,
  type CorpusKind,
} from './corpus/build-corpus.js';
export { type CorpusSources, loadCorpusSources } from './corpus/sources.js';
export * from './index.js';
export * from './probes/index.js';
export { parseTrainArtifactArgs, type TrainArtifactArgs, trainArtifactUsage } from './train/artifact-args.js';
export { type ArtifactTraining, runArtifactTraining } from './train/artifact-command.js';
export { contiguousShards, DataParallelGradients, shardGradients } from './train/data-parallel.js';
export { formatSeconds, ProgressBar } from './train/progress.js';
export {
  type TokenDocuments,
  type TrainOptions,
  type TrainReport,
  trainLanguageModel,
} from './train/trainer.js';
