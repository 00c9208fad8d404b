// Hugging Face checkpoint file IO (node:fs): config JSON, safetensors files, sharded folders.

export { readJsonFile, readJsonObject, writeJsonFile } from './config.js';
export {
  readSafetensors,
  readSafetensorsAsync,
  readSafetensorsHeader,
  readSafetensorsHeaderAsync,
  writeSafetensors,
} from './safetensors.js';
export {
  type ReadCheckpointOptions,
  readCheckpointWeights,
  readShardIndex,
  type WriteCheckpointOptions,
  type WrittenCheckpoint,
  writeCheckpointWeights,
} from './sharded.js';
