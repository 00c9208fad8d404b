// Hugging Face checkpoint file IO. `dtypes.ts` and `safetensors-format.ts` are fs-free (browser-safe); the
// other modules use node:fs.

export { readJsonFile, readJsonObject, writeJsonFile } from './config.js';
export {
  bfloat16ToFloat,
  DTYPE_SIZES,
  decodeToFloat32,
  halfToFloat,
  type SafetensorsDtype,
} from './dtypes.js';
export {
  readSafetensors,
  readSafetensorsAsync,
  readSafetensorsHeader,
  readSafetensorsHeaderAsync,
  writeSafetensors,
} from './safetensors.js';
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
  type ReadCheckpointOptions,
  readCheckpointWeights,
  readShardIndex,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_WEIGHTS_NAME,
  type ShardIndex,
  type WriteCheckpointOptions,
  type WrittenCheckpoint,
  writeCheckpointWeights,
} from './sharded.js';
