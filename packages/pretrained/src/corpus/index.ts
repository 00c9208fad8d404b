export {
  type BuildCorpusOptions,
  buildCorpus,
  CORPUS_KINDS,
  type Corpus,
  type CorpusKind,
} from './build-corpus.js';
export { createHeldOutChecker, findHeldOutHits, type HeldOutChecker } from './held-out.js';
export { collectHeldOutStrings, type HeldOutStrings } from './held-out-set.js';
export {
  formatIkeDemo,
  formatIkePrompt,
  formatIkeQuery,
  IKE_DEMO_SEPARATOR,
  type IkeFact,
} from './ike-format.js';
export { parseRecalledRelation, recalledRelationSentence, type Triple } from './recalled.js';
export { type CorpusSources, loadCorpusSources } from './sources.js';
export {
  fillTemplate,
  type ParaphraseParts,
  poolRelationTemplates,
  relationKey,
  splitParaphrasePrompt,
  templateOf,
} from './templates.js';
export { normalizeWhitespace } from './text.js';
