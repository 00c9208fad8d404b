// The Node entry (the package's `node` export condition, and `@llmedit/mend/node`): the browser-safe entry plus
// artifact folders (load, save, the committed ones in this package's folder) and training on worker threads.
// `mend` and `createMendMethod` here also take folder references and train (explicit exports take precedence
// over the star export of the same names).
export { loadMendArtifact, readMendArtifactConfig, saveMendArtifact } from './artifact.js';
export * from './index.js';
export {
  createMendMethod,
  type MendMethodOptions,
  mend,
  mendArtifactRef,
  releaseMendArtifacts,
} from './method.js';
export { type MendTrainingContext, trainMend, validateEditor } from './train.js';
