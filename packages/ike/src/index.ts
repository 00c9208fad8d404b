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
  trainingPool,
} from './demos.js';
export { type DemoOrder, type IkeHparams, ikeHparams } from './hparams.js';
export { createIkeMethod, type IkeInfo, type IkeMethodOptions, ike } from './method.js';
export {
  type IkePresetName,
  ikeFromEasyEdit,
  ikePreset,
  ikePresets,
  loadIkeYaml,
  readIkeYaml,
} from './presets.js';
