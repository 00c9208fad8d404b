export {
  type ArtifactLayout,
  artifactCache,
  type HostTensors,
  readArtifactConfig,
  readArtifactTensors,
  writeArtifactFiles,
} from './artifact-files.js';
export {
  type ArtifactConfigBase,
  type ArtifactKindSpec,
  type ArtifactRef,
  artifactKind,
  type EditorArtifact,
} from './artifact-kind.js';
export { gradientsThroughDeltas } from './chain-rule.js';
export {
  disposeFactors,
  editFactors,
  type LayerFactors,
  requestExample,
  summedTargetNll,
  type TargetBatch,
  type TargetExample,
  targetBatch,
  targetExample,
} from './factors.js';
export {
  type MetaItem,
  type MetaShard,
  metaLoss,
  metaLossModule,
  metaLossTerms,
  nextTokenLogProbs,
} from './meta-loss.js';
export { applyWeightDeltas, frobeniusNorms } from './outcome.js';
export {
  applyDeltas,
  type MetaSample,
  metaItems,
  metaSample,
  splitTrainingPool,
  targetHits,
} from './sampler.js';
