// The file names and the shard index of a Hugging Face checkpoint folder, parsed from JSON the caller has read
// or fetched (no file system: browser-safe).
import { CheckpointError } from '@llmedit/core';

export const SAFETENSORS_WEIGHTS_NAME = 'model.safetensors';
export const SAFETENSORS_INDEX_NAME = 'model.safetensors.index.json';

/** A validated shard index. */
export interface ShardIndex {
  /** The index's `metadata` object as written (HF puts `total_size` there). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Tensor name -> shard file name (relative to the folder). */
  readonly weightMap: ReadonlyMap<string, string>;
}

function isPlainFileName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\]/.test(name);
}

/**
 * Validates the JSON of `model.safetensors.index.json` (`indexFile` names it in errors). Throws
 * CheckpointError naming the bad entry.
 */
export function parseShardIndex(json: Record<string, unknown>, indexFile: string): ShardIndex {
  const rawMetadata = json.metadata ?? {};
  if (typeof rawMetadata !== 'object' || rawMetadata === null || Array.isArray(rawMetadata)) {
    throw new CheckpointError(indexFile, "'metadata' must be an object");
  }
  const rawMap = json.weight_map;
  if (typeof rawMap !== 'object' || rawMap === null || Array.isArray(rawMap)) {
    throw new CheckpointError(
      indexFile,
      "'weight_map' is missing or not an object of tensor name -> shard file",
    );
  }
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(rawMap)) {
    if (typeof shard !== 'string' || !isPlainFileName(shard)) {
      throw new CheckpointError(
        indexFile,
        `'weight_map' entry ${JSON.stringify(shard)} is not a shard file name in the folder`,
        name,
      );
    }
    weightMap.set(name, shard);
  }
  if (weightMap.size === 0) throw new CheckpointError(indexFile, "'weight_map' lists no tensors");
  return { metadata: rawMetadata as Record<string, unknown>, weightMap };
}
