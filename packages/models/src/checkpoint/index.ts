// Hugging Face checkpoint formats without a file system (browser-safe): dtypes, safetensors bytes, file
// names. Reading and writing files is in `node.ts` (the package's `node` entry).

export {
  bfloat16ToFloat,
  DTYPE_SIZES,
  decodeToFloat32,
  halfToFloat,
  type SafetensorsDtype,
} from './dtypes.js';
export {
  type DecodedTensor,
  encodeSafetensors,
  MAX_HEADER_BYTES,
  parseSafetensors,
  parseSafetensorsHeader,
  type ReadSafetensorsOptions,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
  type TensorData,
  type TensorSource,
} from './safetensors-format.js';
export {
  parseShardIndex,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_WEIGHTS_NAME,
  type ShardIndex,
} from './shard-index.js';
