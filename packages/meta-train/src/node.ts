// The Node entry (the package's `node` export condition, and `@llmedit/meta-train/node`): the browser-safe entry
// plus artifact folders on disk (`artifactKindNode`, and the file helpers under it).
export {
  artifactCache,
  readArtifactConfig,
  readArtifactTensors,
  writeArtifactFiles,
} from './artifact-files.js';
export { artifactKindNode } from './artifact-kind-node.js';
export * from './index.js';
