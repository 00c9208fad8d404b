// The browser-safe entry: no Node built-in is imported from here. Node resolves the package to `node.ts`,
// which adds the committed checkpoints read from disk, the corpus builder (dataset files) and training.
export { CHECKPOINT_NAMES, type CheckpointName } from './checkpoint-names.js';
export {
  createHeldOutChecker,
  findHeldOutHits,
  type HeldOutChecker,
} from './corpus/held-out.js';
export { collectHeldOutStrings, type HeldOutStrings } from './corpus/held-out-set.js';
export {
  formatIkeDemo,
  formatIkePrompt,
  formatIkeQuery,
  IKE_DEMO_SEPARATOR,
  type IkeFact,
} from './corpus/ike-format.js';
export { parseRecalledRelation, recalledRelationSentence, type Triple } from './corpus/recalled.js';
export {
  fillTemplate,
  type ParaphraseParts,
  poolRelationTemplates,
  relationKey,
  splitParaphrasePrompt,
  templateOf,
} from './corpus/templates.js';
export { normalizeWhitespace } from './corpus/text.js';
export { type ProbeAccuracy, probeAccuracy, probeReport, probeTable } from './evaluation/probe-accuracy.js';
export { CHECKPOINT_FILES, loadPretrainedFrom } from './load-url.js';
export { defaultPreset, type ModelPreset, microPreset, presets } from './presets.js';
export { AdamW, type AdamWOptions, warmupCosine } from './train/adamw.js';
export type { ShardedGradients, ShardLoss, ShardLossModule } from './train/data-parallel.js';
export {
  languageModelLoss,
  languageModelShardLoss,
  languageModelShardLossModule,
  nextTokenLoss,
  predictedTokens,
} from './train/lm-loss.js';
