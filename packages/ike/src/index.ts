// The browser-safe entry (no Node built-in): IKE without a default demonstration store. Node resolves the
// package to `node.ts`, whose `ike` and `createIkeMethod` default to llmedit's training splits.
export { type Bm25Hit, Bm25Index, type Bm25Options, terms } from './bm25.js';
export {
  buildFactContext,
  clearIkeModel,
  createIkeModel,
  type IkeFactContext,
  type IkeModelOptions,
  ikeBaseOf,
  ikeFactsOf,
  ikeInputText,
  MAX_FORWARD_TOKENS,
} from './context-model.js';
export {
  DEMO_KINDS,
  type Demo,
  type DemoKind,
  DemoPool,
  demosOf,
  factKeyOf,
  type RetrievedDemo,
} from './demos.js';
export { type DemoOrder, type IkeHparams, ikeHparams } from './hparams.js';
export { createIkeMethodWith, type DefaultDemoPool, type IkeInfo, type IkeMethodOptions } from './method.js';
export { createIkeMethod, ike } from './method-browser.js';
export {
  type IkePresetName,
  ikeFromEasyEdit,
  ikePreset,
  ikePresets,
  loadIkeYaml,
  readIkeYaml,
} from './presets.js';
