export {
  CONFORMANCE_CHECKS,
  type ConformanceCheck,
  type ConformanceCheckRun,
  ConformanceError,
  type ConformanceOptions,
  type ConformanceReport,
  type ConformanceSuite,
  createConformanceSuite,
  STRESS_EDITS,
  stressRequests,
} from './conformance.js';
export { describeEditMethod } from './describe-edit-method.js';
export {
  differingWeights,
  floatsBitEqual,
  loadMicroModel,
  MICRO_REQUEST,
  MICRO_SECOND_REQUEST,
  MICRO_UNRELATED_PROMPTS,
  maxAbsDifference,
  type NextToken,
  nextTokens,
  promptIds,
  requestTokens,
  tensorBytes,
  useBackend,
  weightBytes,
} from './fixtures.js';
export { folderFetch } from './folder-fetch.js';
export { describeTensors, measureLeaks, type TensorWatch, watchNewTensors } from './leaks.js';
