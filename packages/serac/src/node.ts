// The Node entry (the package's `node` export condition, and `@llmedit/serac/node`): the browser-safe entry plus
// artifact folders (load, save, the committed ones in this package's folder) and training on worker threads.
// `serac`, `seracCopy` and `createSeracMethod` here also take folder references and train (explicit exports
// take precedence over the star export of the same names).
export { loadSeracArtifact, readSeracArtifactConfig, saveSeracArtifact } from './artifact.js';
export {
  type CounterfactualExample,
  type CounterfactualSampling,
  counterfactualExamples,
  trainCounterfactual,
} from './counterfactual.js';
export * from './index.js';
export {
  createSeracMethod,
  defaultArtifactDir,
  type SeracMethodOptions,
  serac,
  seracArtifactRef,
  seracCopy,
} from './method.js';
export { answerAccuracy, scopePairs, scopeRates, trainSerac } from './train.js';
