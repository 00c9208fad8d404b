// The browser-safe entry (no Node built-in); Node resolves the package to `node.ts`, whose `layerStats`
// caches files and has the default corpus.
export { type CaptureOptions, captureAt, meanRows } from './capture.js';
export { CHECKPOINT_STATS } from './checkpoint-stats.js';
export {
  CONTEXT_SEED_WORDS,
  type ContextLengthParams,
  clearContextTemplateCache,
  contextTemplates,
  MEMIT_CONTEXT_LENGTHS,
  ROME_CONTEXT_LENGTHS,
} from './context-templates.js';
export {
  checkLocateEditHparams,
  type LocateEditHparams,
  locateEditFields,
  MODULE_TEMPLATE_KEYS,
} from './hparams.js';
export {
  accumulateSecondMoments,
  clearLayerStatsMemory,
  decodeLayerStats,
  encodeLayerStats,
  type LayerStats,
  LayerStatsError,
  type LayerStatsOptions,
  type LayerStatsStore,
  type LoadLayerStatsFromOptions,
  layerStats,
  layerStatsFrom,
  loadLayerStatsFrom,
  MEMORY_ONLY_STORE,
  secondMomentFactor,
  statsModuleName,
} from './layer-stats.js';
export {
  cholesky,
  choleskySolve,
  type FactorOptions,
  factorSpd,
  NotPositiveDefiniteError,
  type SpdFactor,
  solveSpd,
} from './linalg/cholesky.js';
export { type NpyArray, type NpyDtype, NpyFormatError, readNpy, writeNpy } from './npz/npy.js';
export { readNpz, writeNpz } from './npz/npz.js';
export { crc32, readZip, writeZip, type ZipEntry, ZipFormatError } from './npz/zip.js';
export {
  escapeBraces,
  FACT_TOKENS,
  type FactToken,
  factTokenIndex,
  fillSubject,
  type LocatedPrompt,
  locatePrompt,
  locateTargetPrompt,
  subjectTemplate,
  type TargetPrompt,
} from './prompts.js';
export {
  atBarePrompt,
  averageOverTemplates,
  inContext,
  type KeyAveraging,
  KL_PROMPT_TEMPLATES,
  type PreparedRequest,
  prepareRequests,
} from './requests.js';
export {
  type LossTerms,
  optimizeValues,
  type ValueOptimizationOptions,
  type ValueRequest,
  type ValueResult,
} from './target-value.js';
export { WeightEdits } from './weight-edits.js';
