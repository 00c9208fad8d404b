// MMEdit (Cheng et al. 2023) on llmedit's vision-language models. Browser-safe: the text methods resolve to
// their own Node or browser entries (IKE's default demonstration store and artifact folders are Node-only).
export {
  describeRequest,
  type MultimodalAdapterOptions,
  multimodalAdapter,
  requireImages,
  vlmBaseOf,
} from './adapter.js';
export {
  type FtVisionHparams,
  type FtVisionInfo,
  ftVision,
  ftVisionHparams,
  ftVisionWeightNames,
} from './ft-vision.js';
export { imageView } from './image-view.js';
export { createMultimodalIke, ftLlm, ike, ke, mend, serac } from './methods.js';
export {
  type MmeditMethodId,
  type MmeditPresetName,
  mmeditMethods,
  mmeditPreset,
  mmeditPresets,
} from './presets.js';
