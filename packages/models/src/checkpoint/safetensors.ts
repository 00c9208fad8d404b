// Reads and writes safetensors files on disk (https://github.com/huggingface/safetensors#format).
//
// Memory bound of the read path: the header is read on its own, then each tensor's byte range is read with a
// positioned read. F32 tensors (on little-endian hosts) are read straight into their output Float32Array, so
// no raw copy exists at all; other dtypes go through one scratch buffer, sized for the largest selected
// tensor and reused for every tensor. Peak memory is therefore the decoded float32 tensors plus at most one
// tensor's raw bytes, never the whole file. The write path streams each tensor's bytes from its array.
import { fstatSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { DTYPE_SIZES, HOST_IS_LITTLE_ENDIAN } from './dtypes.js';
import { ioError, readFully, readFullyAsync, withReadFile, writeFileAtomic } from './file-io.js';
import {
  type DecodedTensor,
  decodeTensor,
  float32Bytes,
  layoutSafetensors,
  parseHeaderJson,
  parseHeaderLength,
  type ReadSafetensorsOptions,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
  selectTensors,
  type TensorSource,
} from './safetensors-format.js';

function readHeaderFromFd(fd: number, file: string): SafetensorsHeader {
  const fileLength = fstatSync(fd).size;
  const prefix = new Uint8Array(8);
  if (fileLength >= 8) readFully(fd, file, prefix, 0);
  const headerLength = parseHeaderLength(prefix, file, fileLength);
  const headerBytes = new Uint8Array(headerLength);
  readFully(fd, file, headerBytes, 8);
  return parseHeaderJson(headerBytes, file, fileLength);
}

/** Reads and validates a safetensors header without touching the tensor data. Throws CheckpointError. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withReadFile(file, (fd) => readHeaderFromFd(fd, file));
}

/** Whether a tensor can be read straight into its float32 output with no raw copy. */
function readsDirectly(info: SafetensorsTensorInfo): boolean {
  return info.dtype === 'F32' && HOST_IS_LITTLE_ENDIAN;
}

/** One scratch buffer for the largest tensor that needs decoding (none if all are direct F32 reads). */
function allocateScratch(selected: readonly SafetensorsTensorInfo[]): Uint8Array {
  let largest = 0;
  for (const info of selected) {
    if (!readsDirectly(info)) largest = Math.max(largest, info.dataOffsets[1] - info.dataOffsets[0]);
  }
  // allocUnsafeSlow: not pooled (byteOffset 0, so aligned for typed views) and not zero-filled.
  return Buffer.allocUnsafeSlow(largest);
}

function directTensor(info: SafetensorsTensorInfo): { tensor: DecodedTensor; target: Uint8Array } {
  const data = new Float32Array((info.dataOffsets[1] - info.dataOffsets[0]) / DTYPE_SIZES.F32);
  return { tensor: { dtype: info.dtype, shape: [...info.shape], data }, target: new Uint8Array(data.buffer) };
}

/**
 * Reads a safetensors file and decodes its tensors (or only `options.names`) to float32. F16 and BF16 convert
 * exactly, F64 rounds to nearest, integer dtypes convert to the nearest float32. Throws CheckpointError on a
 * missing, corrupt or truncated file, naming the tensor at fault where there is one.
 */
export function readSafetensors(
  file: string,
  options: ReadSafetensorsOptions = {},
): Map<string, DecodedTensor> {
  return withReadFile(file, (fd) => {
    const header = readHeaderFromFd(fd, file);
    const selected = selectTensors(header, file, options.names);
    const scratch = allocateScratch(selected);
    const result = new Map<string, DecodedTensor>();
    for (const info of selected) {
      const position = header.dataStart + info.dataOffsets[0];
      if (readsDirectly(info)) {
        const { tensor, target } = directTensor(info);
        readFully(fd, file, target, position);
        result.set(info.name, tensor);
      } else {
        const raw = scratch.subarray(0, info.dataOffsets[1] - info.dataOffsets[0]);
        readFully(fd, file, raw, position);
        result.set(info.name, decodeTensor(info, raw));
      }
    }
    return result;
  });
}

async function withReadHandle<T>(file: string, body: (handle: FileHandle) => Promise<T>): Promise<T> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (cause) {
    throw ioError(file, 'open', cause);
  }
  try {
    return await body(handle);
  } catch (cause) {
    throw ioError(file, 'read', cause);
  } finally {
    await handle.close();
  }
}

async function readHeaderFromHandle(handle: FileHandle, file: string): Promise<SafetensorsHeader> {
  const fileLength = (await handle.stat()).size;
  const prefix = new Uint8Array(8);
  if (fileLength >= 8) await readFullyAsync(handle, file, prefix, 0);
  const headerLength = parseHeaderLength(prefix, file, fileLength);
  const headerBytes = new Uint8Array(headerLength);
  await readFullyAsync(handle, file, headerBytes, 8);
  return parseHeaderJson(headerBytes, file, fileLength);
}

/** Async twin of `readSafetensorsHeader`. */
export function readSafetensorsHeaderAsync(file: string): Promise<SafetensorsHeader> {
  return withReadHandle(file, (handle) => readHeaderFromHandle(handle, file));
}

/** Async twin of `readSafetensors`, with the same memory bound; reads one tensor at a time. */
export function readSafetensorsAsync(
  file: string,
  options: ReadSafetensorsOptions = {},
): Promise<Map<string, DecodedTensor>> {
  return withReadHandle(file, async (handle) => {
    const header = await readHeaderFromHandle(handle, file);
    const selected = selectTensors(header, file, options.names);
    const scratch = allocateScratch(selected);
    const result = new Map<string, DecodedTensor>();
    for (const info of selected) {
      const position = header.dataStart + info.dataOffsets[0];
      if (readsDirectly(info)) {
        const { tensor, target } = directTensor(info);
        await readFullyAsync(handle, file, target, position);
        result.set(info.name, tensor);
      } else {
        const raw = scratch.subarray(0, info.dataOffsets[1] - info.dataOffsets[0]);
        await readFullyAsync(handle, file, raw, position);
        result.set(info.name, decodeTensor(info, raw));
      }
    }
    return result;
  });
}

/**
 * Writes float32 tensors as a safetensors file: tensors sorted by name, header padded with spaces to an
 * 8-byte boundary, deterministic bytes. Streams each tensor from its array (no whole-file buffer) into a
 * temporary file renamed into place. Note that Hugging Face transformers refuses files whose metadata lacks
 * `format: 'pt'`; `writeCheckpointWeights` adds it.
 */
export function writeSafetensors(
  file: string,
  tensors: TensorSource,
  metadata?: Readonly<Record<string, string>>,
): void {
  const layout = layoutSafetensors(tensors, metadata, file);
  writeFileAtomic(file, (put) => {
    put(layout.head);
    for (const { data } of layout.tensors) put(float32Bytes(data));
  });
}
