// The safetensors container format (https://github.com/huggingface/safetensors#format): an 8-byte
// little-endian header length N, N bytes of UTF-8 JSON, then the raw little-endian tensor bytes.
// This file is pure (no fs) so the browser can parse and encode checkpoints held in memory.
import { CheckpointError } from '@llmedit/core';
import {
  DTYPE_SIZES,
  decodeToFloat32,
  HOST_IS_LITTLE_ENDIAN,
  isSafetensorsDtype,
  type SafetensorsDtype,
} from './dtypes.js';

/** Largest JSON header accepted, as in the reference implementation; guards against absurd allocations. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

/** One tensor's entry in a safetensors header, validated. */
export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Byte range [begin, end) relative to the start of the data section. */
  readonly dataOffsets: readonly [number, number];
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** N, the JSON header length in bytes (padding included). */
  readonly headerLength: number;
  /** Absolute byte offset of the data section in the file: 8 + N. */
  readonly dataStart: number;
  /** Bytes available to the data section: file length - 8 - N. */
  readonly dataLength: number;
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in header order. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
}

/** A tensor after decoding: `dtype` is the dtype stored in the file, `data` always float32. */
export interface DecodedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

/** A float32 tensor to write. */
export interface TensorData {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Tensors to write, by name. */
export type TensorSource = ReadonlyMap<string, TensorData> | Readonly<Record<string, TensorData>>;

export interface ReadSafetensorsOptions {
  /** Load only these tensors (a name absent from the file is an error). Default: all. */
  readonly names?: readonly string[];
}

/** Reads and checks the 8-byte prefix; `fileLength` is the total size of the file or buffer. */
export function parseHeaderLength(prefix: Uint8Array, fileName: string, fileLength: number): number {
  if (fileLength < 8 || prefix.byteLength < 8) {
    throw new CheckpointError(
      fileName,
      `file is ${fileLength} bytes, too short for the 8-byte header length`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const length = high * 4294967296 + low;
  if (length > MAX_HEADER_BYTES) {
    throw new CheckpointError(
      fileName,
      `header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt file or not safetensors)`,
    );
  }
  if (8 + length > fileLength) {
    throw new CheckpointError(
      fileName,
      `header length ${length} runs past the end of the file (${fileLength} bytes); the file is truncated or not safetensors`,
    );
  }
  return length;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Parses and validates the JSON header bytes (the N bytes after the prefix). Checks every rule a reader
 * relies on: known dtypes, integer shapes, offsets inside the data section, byte counts matching
 * shape x dtype, no two tensors sharing bytes.
 */
export function parseHeaderJson(
  headerBytes: Uint8Array,
  fileName: string,
  fileLength: number,
): SafetensorsHeader {
  const headerLength = headerBytes.byteLength;
  const dataLength = fileLength - 8 - headerLength;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (cause) {
    throw new CheckpointError(fileName, 'header is not valid UTF-8', undefined, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new CheckpointError(fileName, `header is not valid JSON (${detail})`, undefined, { cause });
  }
  if (!isPlainObject(json)) throw new CheckpointError(fileName, 'header JSON is not an object');

  const metadata: Record<string, string> = {};
  const rawMetadata = json[METADATA_KEY];
  if (rawMetadata !== undefined) {
    if (!isPlainObject(rawMetadata))
      throw new CheckpointError(fileName, `'${METADATA_KEY}' is not an object`);
    for (const [key, value] of Object.entries(rawMetadata)) {
      if (typeof value !== 'string') {
        throw new CheckpointError(
          fileName,
          `'${METADATA_KEY}.${key}' is ${describe(value)}, expected a string`,
        );
      }
      metadata[key] = value;
    }
  }

  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const [name, entry] of Object.entries(json)) {
    if (name === METADATA_KEY) continue;
    if (!isPlainObject(entry)) throw new CheckpointError(fileName, 'entry is not an object', name);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isSafetensorsDtype(dtype)) {
      throw new CheckpointError(
        fileName,
        `unknown dtype ${describe(dtype)} (known: ${Object.keys(DTYPE_SIZES).join(', ')})`,
        name,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
      throw new CheckpointError(
        fileName,
        `shape ${describe(shape)} is not an array of non-negative integers`,
        name,
      );
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
      throw new CheckpointError(
        fileName,
        `data_offsets ${describe(offsets)} is not a pair of non-negative integers`,
        name,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end)
      throw new CheckpointError(fileName, `data_offsets [${begin}, ${end}] has begin > end`, name);
    if (end > dataLength) {
      throw new CheckpointError(
        fileName,
        `data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes); ` +
          'the file is truncated or the offsets are wrong',
        name,
      );
    }
    const elements = shape.reduce((product: number, dim: number) => product * dim, 1);
    const expectedBytes = elements * DTYPE_SIZES[dtype];
    if (expectedBytes !== end - begin) {
      throw new CheckpointError(
        fileName,
        `shape [${shape.join(', ')}] of ${dtype} needs ${expectedBytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
        name,
      );
    }
    tensors.set(name, { name, dtype, shape: [...shape], dataOffsets: [begin, end] });
  }

  // Coverage check, as the reference reader does: in offset order the tensors must tile the data section
  // exactly, from byte 0 to its end, without gaps or overlaps. A header length that is off by a few bytes
  // (a trimmed padding byte) shifts every tensor by that much; only this check catches it.
  const ordered = [...tensors.values()].sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let covered = 0;
  let previous: SafetensorsTensorInfo | undefined;
  for (const tensor of ordered) {
    const [begin, end] = tensor.dataOffsets;
    if (begin < covered && previous !== undefined) {
      throw new CheckpointError(
        fileName,
        `data_offsets [${begin}, ${end}] overlap those of tensor '${previous.name}' ` +
          `[${previous.dataOffsets.join(', ')}]`,
        tensor.name,
      );
    }
    if (begin > covered) {
      throw new CheckpointError(
        fileName,
        `data_offsets [${begin}, ${end}] leave bytes [${covered}, ${begin}) of the data section to no tensor ` +
          '(the header length or the offsets are wrong)',
        tensor.name,
      );
    }
    covered = end;
    previous = tensor;
  }
  if (covered !== dataLength) {
    throw new CheckpointError(
      fileName,
      `the tensors cover ${covered} bytes but the data section holds ${dataLength} ` +
        `(header length ${headerLength}); the header length is wrong or the file has trailing bytes`,
    );
  }

  return { headerLength, dataStart: 8 + headerLength, dataLength, metadata, tensors };
}

/** Parses and validates the header of a whole safetensors file held in memory. */
export function parseSafetensorsHeader(bytes: Uint8Array, fileName: string): SafetensorsHeader {
  const headerLength = parseHeaderLength(bytes.subarray(0, 8), fileName, bytes.byteLength);
  return parseHeaderJson(bytes.subarray(8, 8 + headerLength), fileName, bytes.byteLength);
}

/** The tensors to load, in file order (which makes disk reads sequential). Unknown names are errors. */
export function selectTensors(
  header: SafetensorsHeader,
  fileName: string,
  names: readonly string[] | undefined,
): SafetensorsTensorInfo[] {
  let selected: SafetensorsTensorInfo[];
  if (names === undefined) {
    selected = [...header.tensors.values()];
  } else {
    selected = [];
    for (const name of new Set(names)) {
      const info = header.tensors.get(name);
      if (info === undefined) throw new CheckpointError(fileName, 'tensor not found in file', name);
      selected.push(info);
    }
  }
  return selected.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0]);
}

/** Decodes one tensor from its raw bytes (exactly `end - begin` of them). */
export function decodeTensor(info: SafetensorsTensorInfo, raw: Uint8Array): DecodedTensor {
  const count = (info.dataOffsets[1] - info.dataOffsets[0]) / DTYPE_SIZES[info.dtype];
  return { dtype: info.dtype, shape: [...info.shape], data: decodeToFloat32(raw, info.dtype, count) };
}

/** Parses a whole safetensors file held in memory and decodes its tensors to float32. */
export function parseSafetensors(
  bytes: Uint8Array,
  fileName: string,
  options: ReadSafetensorsOptions = {},
): Map<string, DecodedTensor> {
  const header = parseSafetensorsHeader(bytes, fileName);
  const result = new Map<string, DecodedTensor>();
  for (const info of selectTensors(header, fileName, options.names)) {
    const start = header.dataStart + info.dataOffsets[0];
    result.set(info.name, decodeTensor(info, bytes.subarray(start, header.dataStart + info.dataOffsets[1])));
  }
  return result;
}

/** A writable file laid out: the prefix + padded header bytes and the tensors in data order. */
export interface SafetensorsLayout {
  /** The 8-byte length prefix followed by the space-padded JSON header; data starts right after. */
  readonly head: Uint8Array;
  readonly tensors: readonly { readonly name: string; readonly data: Float32Array }[];
  /** Total file size in bytes. */
  readonly byteLength: number;
}

function entriesOf(tensors: TensorSource): [string, TensorData][] {
  return tensors instanceof Map
    ? [...(tensors as ReadonlyMap<string, TensorData>).entries()]
    : Object.entries(tensors as Readonly<Record<string, TensorData>>);
}

/** Code-point order, so the byte layout never depends on the locale. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Lays out an F32 safetensors file: tensors sorted by name, `__metadata__` first when given, the JSON
 * padded with spaces so the data section starts at a multiple of 8 (as the reference writer does). The
 * result is fully determined by the inputs.
 */
export function layoutSafetensors(
  tensors: TensorSource,
  metadata: Readonly<Record<string, string>> | undefined,
  fileName: string,
): SafetensorsLayout {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        throw new CheckpointError(fileName, `metadata '${key}' is ${describe(value)}, expected a string`);
      }
    }
    header[METADATA_KEY] = { ...metadata };
  }
  const sorted = entriesOf(tensors).sort(([a], [b]) => compareNames(a, b));
  let offset = 0;
  for (const [name, tensor] of sorted) {
    if (name === METADATA_KEY) throw new CheckpointError(fileName, 'tensor name is reserved', name);
    if (!(tensor.data instanceof Float32Array))
      throw new CheckpointError(fileName, 'data is not a Float32Array', name);
    if (!Array.isArray(tensor.shape) || !tensor.shape.every(isNonNegativeInteger)) {
      throw new CheckpointError(
        fileName,
        `shape ${describe(tensor.shape)} is not an array of non-negative integers`,
        name,
      );
    }
    const elements = tensor.shape.reduce((product, dim) => product * dim, 1);
    if (elements !== tensor.data.length) {
      throw new CheckpointError(
        fileName,
        `shape [${tensor.shape.join(', ')}] has ${elements} elements but data has ${tensor.data.length}`,
        name,
      );
    }
    const bytes = elements * 4;
    header[name] = { dtype: 'F32', shape: [...tensor.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (json.byteLength % 8)) % 8;
  const headerLength = json.byteLength + padding;
  const head = new Uint8Array(8 + headerLength);
  const view = new DataView(head.buffer);
  view.setUint32(0, headerLength % 4294967296, true);
  view.setUint32(4, Math.floor(headerLength / 4294967296), true);
  head.set(json, 8);
  head.fill(0x20, 8 + json.byteLength);
  return {
    head,
    tensors: sorted.map(([name, tensor]) => ({ name, data: tensor.data })),
    byteLength: head.byteLength + offset,
  };
}

/** The little-endian bytes of a float32 array: a view on little-endian hosts, a swapped copy otherwise. */
export function float32Bytes(data: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) view.setUint32(i * 4, bits[i]!, true);
  return out;
}

/** Encodes float32 tensors as a safetensors file in memory (deterministic bytes; see `layoutSafetensors`). */
export function encodeSafetensors(
  tensors: TensorSource,
  metadata?: Readonly<Record<string, string>>,
  fileName = '<memory>',
): Uint8Array {
  const layout = layoutSafetensors(tensors, metadata, fileName);
  const out = new Uint8Array(layout.byteLength);
  out.set(layout.head, 0);
  let position = layout.head.byteLength;
  for (const { data } of layout.tensors) {
    out.set(float32Bytes(data), position);
    position += data.byteLength;
  }
  return out;
}
