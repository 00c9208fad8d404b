// The browser-safe entry: what MEND and KE share at edit time and in meta-training, and their artifacts as
// objects (fetched from a served folder by `artifactKind(...).loadFrom`). Folders on disk are in node.ts, the
// package's `node` export condition and `@llmedit/meta-train/node`.
export {
  type ArtifactConfigBase,
  type ArtifactKindSpec,
  type ArtifactRef,
  artifactKind,
  checkArtifactConfig,
  type EditorArtifact,
  hostTensors,
  type LoadArtifactFromOptions,
  parseArtifactConfig,
} from './artifact-kind.js';
export type { ArtifactLayout, HostTensors } from './artifact-layout.js';
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
