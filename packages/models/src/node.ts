// The Node entry (the package's `node` export condition, and `@llmedit/models/node`): everything of the
// browser-safe entry, plus model folders, safetensors files and tokenizers read from and written to disk.
export * from './checkpoint/node.js';
export * from './index.js';
export { isModelFolder, type LoadModelOptions, loadModel, type SaveModelOptions, saveModel } from './load.js';
export { packageFolder } from './package-folder.js';
export { loadTokenizer } from './tokenizer/load-folder.js';
