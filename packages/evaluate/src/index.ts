export {
  type AggregateMetric,
  type AggregateOptions,
  type AggregateReport,
  aggregate,
  aggregateValues,
  COUNTERFACT_SCORE,
  type DerivedMetric,
  formatAggregates,
  harmonicMean,
} from './aggregate.js';
export {
  type BootstrapOptions,
  bootstrapMean,
  bootstrapStatistic,
  type Interval,
  quantile,
} from './bootstrap.js';
export {
  computePreEdit,
  type EvaluateOptions,
  type EvaluationRequest,
  evaluateRequests,
  type PostEditOptions,
  type PreEditOptions,
  type Suite,
} from './evaluate.js';
export { evaluateMultiHop, type MultiHopCase, type MultiHopOptions } from './mquake.js';
export {
  type ImageConditionedModel,
  MULTIMODAL_LOCALITY_TOP_K,
  type MultimodalEditRecord,
  type MultimodalPreEdit,
  type MultimodalScores,
  type MultimodalTask,
  multimodalMetricValues,
  multimodalPreEdit,
  multimodalScores,
  multimodalVqaPrompt,
  topKAgreement,
} from './multimodal.js';
export { meanNgramEntropy, ngramEntropy, ngramEntropyOf, wordTokens } from './ngram-entropy.js';
export {
  computePreEditParallel,
  evaluateRequestsParallel,
  type ParallelOptions,
} from './parallel.js';
export { PreEditCache, type PreEditRecord } from './pre-edit-cache.js';
export {
  type MetricValue,
  MissingPreEditError,
  PROTOCOL_TAGS,
  ProtocolMixError,
  type ProtocolTag,
  type RecordResult,
  type TaggedValue,
} from './protocol.js';
export { requestKey } from './record-key.js';
export {
  pooledAccuracy,
  type RomeZsreCheck,
  type RomeZsreChecks,
  type RomeZsreRequest,
  romeZsreChecks,
  romeZsreMetrics,
  romeZsreRequestChecks,
} from './rome-zsre.js';
export { type GenerationOptions, generateFastText, type SampleItem, sampleTexts } from './sampling.js';
export { type BatchOptions, PairScores, scoreSharedPrompts } from './scoring.js';
export {
  argmaxAgreement,
  argmaxExactAgreement,
  compareTargets,
  exactMatch,
  meanNll,
  type TokenScore,
  tokenAccuracy,
} from './token-metrics.js';
