// Pure parsers and types with no Node imports: usable in browsers on JSON the caller has fetched.
export * from './counterfact.js';
export * from './counterfact-easyedit.js';
export * from './errors.js';
export * from './knowedit.js';
export * from './known-facts.js';
export * from './mmedit.js';
export * from './mquake.js';
export * from './scenes/index.js';
export * from './splits.js';
export type { LoadOptions, LoadResult, RecordContext, SkippedRecord } from './validate.js';
export { answerAliases, locateSubject } from './validate.js';
export * from './zsre.js';
