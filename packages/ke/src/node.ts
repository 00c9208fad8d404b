// The Node entry (the package's `node` export condition, and `@llmedit/ke/node`): the browser-safe entry plus
// artifact folders (load, save, the committed ones in this package's folder) and training on worker threads.
// `ke` and `createKeMethod` here also take folder references and train (explicit exports take precedence
// over the star export of the same names).
export { loadKeArtifact, readKeArtifactConfig, saveKeArtifact } from './artifact.js';
export * from './index.js';
export {
  createKeMethod,
  type KeMethodOptions,
  ke,
  keArtifactRef,
  releaseKeArtifacts,
} from './method.js';
export { type KeTrainingContext, trainKe, validateKeEditor } from './train.js';
