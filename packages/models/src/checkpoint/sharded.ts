// A Hugging Face checkpoint folder's weights: one `model.safetensors`, or shards listed by
// `model.safetensors.index.json` (`weight_map`: tensor name -> shard file).
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '@llmedit/core';
import { readJsonObject, writeJsonFile } from './config.js';
import { ioError } from './file-io.js';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors.js';
import {
  type DecodedTensor,
  layoutSafetensors,
  type TensorData,
  type TensorSource,
} from './safetensors-format.js';
import {
  parseShardIndex,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_WEIGHTS_NAME,
  type ShardIndex,
} from './shard-index.js';

export { SAFETENSORS_INDEX_NAME, SAFETENSORS_WEIGHTS_NAME, type ShardIndex };

const SHARD_PATTERN = /^model-\d{5}-of-\d{5}\.safetensors$/;
/** Hugging Face transformers refuses safetensors weights whose metadata lacks a known `format`. */
const DEFAULT_METADATA: Readonly<Record<string, string>> = { format: 'pt' };

export interface ReadCheckpointOptions {
  /** Load only these tensors (a name the checkpoint lacks is an error). Default: all. */
  readonly names?: readonly string[];
}

export interface WriteCheckpointOptions {
  /** Start a new shard before a shard's tensor bytes would exceed this. Default: one file. */
  readonly maxShardBytes?: number;
  /** Metadata written into every safetensors file. Default `{ format: 'pt' }`, which transformers requires. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface WrittenCheckpoint {
  /** Files written, relative to the folder: the weight files, then the index when sharded. */
  readonly files: readonly string[];
  /** Total tensor bytes (the index's `metadata.total_size`). */
  readonly totalSize: number;
}

/** Reads and validates `model.safetensors.index.json`. Throws CheckpointError naming the bad entry. */
export function readShardIndex(indexFile: string): ShardIndex {
  return parseShardIndex(readJsonObject(indexFile, 'shard index'), indexFile);
}

function readShardedWeights(dir: string, names: readonly string[] | undefined): Map<string, DecodedTensor> {
  const indexFile = join(dir, SAFETENSORS_INDEX_NAME);
  const { weightMap } = readShardIndex(indexFile);
  const wanted = names === undefined ? [...weightMap.keys()] : [...new Set(names)];
  const byShard = new Map<string, string[]>();
  for (const name of wanted) {
    const shard = weightMap.get(name);
    if (shard === undefined) throw new CheckpointError(indexFile, "tensor not listed in 'weight_map'", name);
    const list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, [name]);
    else list.push(name);
  }
  // Check every shard and every tensor before decoding anything, so a broken folder fails fast and cheaply.
  for (const [shard, shardNames] of byShard) {
    const shardFile = join(dir, shard);
    if (!existsSync(shardFile)) {
      throw new CheckpointError(indexFile, `shard file '${shard}' does not exist`, shardNames[0]);
    }
    const header = readSafetensorsHeader(shardFile);
    for (const name of shardNames) {
      if (!header.tensors.has(name)) {
        throw new CheckpointError(
          shardFile,
          `tensor listed in ${SAFETENSORS_INDEX_NAME} is not in this shard`,
          name,
        );
      }
    }
  }
  const result = new Map<string, DecodedTensor>();
  for (const [shard, shardNames] of byShard) {
    for (const [name, tensor] of readSafetensors(join(dir, shard), { names: shardNames }))
      result.set(name, tensor);
  }
  return result;
}

/**
 * Loads the weights of a Hugging Face checkpoint folder: sharded through `model.safetensors.index.json` if it
 * exists, else `model.safetensors`. Tensors are decoded to float32 (see `readSafetensors`). Throws
 * CheckpointError for a missing folder or weights, a bad index, a missing shard or a tensor absent from its
 * shard (naming it).
 */
export function readCheckpointWeights(
  dir: string,
  options: ReadCheckpointOptions = {},
): Map<string, DecodedTensor> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CheckpointError(dir, 'checkpoint folder does not exist or is not a folder');
  }
  if (existsSync(join(dir, SAFETENSORS_INDEX_NAME))) return readShardedWeights(dir, options.names);
  const single = join(dir, SAFETENSORS_WEIGHTS_NAME);
  if (existsSync(single))
    return readSafetensors(single, options.names === undefined ? {} : { names: options.names });
  const pytorch = ['pytorch_model.bin', 'pytorch_model.bin.index.json'].filter((f) =>
    existsSync(join(dir, f)),
  );
  throw new CheckpointError(
    dir,
    `no weights found: looked for ${SAFETENSORS_INDEX_NAME} and ${SAFETENSORS_WEIGHTS_NAME}. ` +
      (pytorch.length > 0 ? `Found ${pytorch.join(' and ')}, but ` : '') +
      'PyTorch .bin checkpoints (pytorch_model.bin) are not supported; convert them to safetensors',
  );
}

function entriesOf(tensors: TensorSource): [string, TensorData][] {
  return tensors instanceof Map
    ? [...(tensors as ReadonlyMap<string, TensorData>).entries()]
    : Object.entries(tensors as Readonly<Record<string, TensorData>>);
}

/**
 * Writes weights into `dir` (created if needed) in the Hugging Face layout: one `model.safetensors`, or, when
 * `maxShardBytes` is exceeded, `model-0000i-of-0000n.safetensors` shards (tensors in name order, a new shard
 * whenever the next tensor would overflow; a tensor larger than the limit gets a shard of its own) plus the
 * index with `metadata.total_size`. Weight files of an earlier save that the new layout does not use are
 * removed afterwards, so a stale index can never shadow the new weights.
 */
export function writeCheckpointWeights(
  dir: string,
  tensors: TensorSource,
  options: WriteCheckpointOptions = {},
): WrittenCheckpoint {
  const { maxShardBytes, metadata = DEFAULT_METADATA } = options;
  if (maxShardBytes !== undefined && !(Number.isFinite(maxShardBytes) && maxShardBytes > 0)) {
    throw new CheckpointError(dir, `maxShardBytes must be a positive number, got ${maxShardBytes}`);
  }
  const entries = entriesOf(tensors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const totalSize = entries.reduce((sum, [, tensor]) => sum + tensor.data.byteLength, 0);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    throw ioError(dir, 'create the checkpoint folder', cause);
  }

  const shards: [string, TensorData][][] = [];
  if (maxShardBytes === undefined || totalSize <= maxShardBytes) {
    shards.push(entries);
  } else {
    let current: [string, TensorData][] = [];
    let currentBytes = 0;
    for (const entry of entries) {
      const bytes = entry[1].data.byteLength;
      if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
        shards.push(current);
        current = [];
        currentBytes = 0;
      }
      current.push(entry);
      currentBytes += bytes;
    }
    shards.push(current);
  }

  // Validate every shard (names, shapes, metadata) before writing any, so a bad tensor leaves no half save.
  for (const shard of shards) layoutSafetensors(new Map(shard), metadata, dir);

  const files: string[] = [];
  if (shards.length === 1) {
    writeSafetensors(join(dir, SAFETENSORS_WEIGHTS_NAME), new Map(shards[0]), metadata);
    files.push(SAFETENSORS_WEIGHTS_NAME);
  } else {
    const count = String(shards.length).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${count}.safetensors`;
      writeSafetensors(join(dir, name), new Map(shard), metadata);
      for (const [tensorName] of shard) weightMap[tensorName] = name;
      files.push(name);
    });
    writeJsonFile(join(dir, SAFETENSORS_INDEX_NAME), {
      metadata: { total_size: totalSize },
      weight_map: weightMap,
    });
    files.push(SAFETENSORS_INDEX_NAME);
  }

  const written = new Set(files);
  for (const existing of readdirSync(dir)) {
    const stale =
      existing === SAFETENSORS_WEIGHTS_NAME ||
      existing === SAFETENSORS_INDEX_NAME ||
      SHARD_PATTERN.test(existing);
    if (stale && !written.has(existing)) rmSync(join(dir, existing), { force: true });
  }
  return { files, totalSize };
}
