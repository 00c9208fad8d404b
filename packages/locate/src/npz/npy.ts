// The NumPy .npy format (numpy/lib/format.py, "NEP 1"): magic "\x93NUMPY", version, a header length, a
// Python-literal dict {'descr', 'fortran_order', 'shape'} padded with spaces and '\n' to a multiple of 64
// bytes, then the raw array data.
import { LlmeditError } from '@llmedit/core';

/** A .npy payload could not be read or written. */
export class NpyFormatError extends LlmeditError {
  constructor(message: string) {
    super('NPY_FORMAT', `Invalid .npy data: ${message}`);
  }
}

/** The element types llmedit reads and writes. */
export type NpyDtype = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool' | 'string';

/** Typed data per dtype: int64 values are read as numbers (exact below 2^53), strings as a JS array. */
export interface NpyArray {
  readonly dtype: NpyDtype;
  /** [] for a 0-d scalar. */
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | Uint8Array | number[] | string[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

interface Descr {
  dtype: NpyDtype;
  littleEndian: boolean;
  itemSize: number;
}

function parseDescr(descr: string): Descr {
  const match = /^([<>|=])([fiubU?])(\d*)$/.exec(descr);
  if (match === null) throw new NpyFormatError(`unsupported dtype '${descr}'`);
  const order = match[1] as string;
  const kind = match[2] as string;
  const size = Number(match[3] || '1');
  const littleEndian = order !== '>';
  if (kind === 'f' && size === 4) return { dtype: 'float32', littleEndian, itemSize: 4 };
  if (kind === 'f' && size === 8) return { dtype: 'float64', littleEndian, itemSize: 8 };
  if (kind === 'i' && size === 4) return { dtype: 'int32', littleEndian, itemSize: 4 };
  if (kind === 'i' && size === 8) return { dtype: 'int64', littleEndian, itemSize: 8 };
  if (kind === 'u' && size === 1) return { dtype: 'uint8', littleEndian, itemSize: 1 };
  if ((kind === 'b' || kind === '?') && size === 1) return { dtype: 'bool', littleEndian, itemSize: 1 };
  // Fixed-width unicode, UTF-32: numpy stores ROME's 'constructor' strings this way.
  if (kind === 'U') return { dtype: 'string', littleEndian, itemSize: 4 * size };
  throw new NpyFormatError(`unsupported dtype '${descr}'`);
}

function parseHeader(text: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`header is not a descr/fortran_order/shape dict: ${text.trim().slice(0, 120)}`);
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const value = Number(part.replace(/L$/, ''));
      if (!Number.isInteger(value) || value < 0) throw new NpyFormatError(`bad shape entry '${part}'`);
      return value;
    });
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** C-order element index for the element at Fortran-order position `index` of `shape`. */
function fortranToC(shape: readonly number[]): Int32Array | undefined {
  if (shape.length < 2) return undefined;
  const size = shape.reduce((a, b) => a * b, 1);
  const map = new Int32Array(size);
  const index = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < size; f++) {
    let c = 0;
    for (let d = 0; d < shape.length; d++) c = c * (shape[d] as number) + (index[d] as number);
    map[f] = c;
    // Fortran order: the first index varies fastest.
    for (let d = 0; d < shape.length; d++) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (shape[d] as number)) break;
      index[d] = 0;
    }
  }
  return map;
}

/** Decode one .npy payload (versions 1, 2 and 3; either byte order; C or Fortran order, returned in C order). */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((value, i) => bytes[i] !== value)) {
    throw new NpyFormatError('missing the \\x93NUMPY magic');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6] as number;
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyFormatError(`unsupported format version ${major}`);
  }
  if (headerStart + headerLength > bytes.length) throw new NpyFormatError('truncated header');
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  const header = parseHeader(new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes));
  const descr = parseDescr(header.descr);
  const size = header.shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (dataStart + size * descr.itemSize > bytes.length) {
    throw new NpyFormatError(
      `truncated data: shape [${header.shape}] of ${header.descr} needs ${size * descr.itemSize} bytes, ` +
        `${bytes.length - dataStart} present`,
    );
  }
  const order = header.fortranOrder ? fortranToC(header.shape) : undefined;
  const at = (i: number) => dataStart + i * descr.itemSize;
  const target = (i: number) => (order === undefined ? i : (order[i] as number));
  const le = descr.littleEndian;
  let data: NpyArray['data'];
  switch (descr.dtype) {
    case 'float32': {
      const out = new Float32Array(size);
      for (let i = 0; i < size; i++) out[target(i)] = view.getFloat32(at(i), le);
      data = out;
      break;
    }
    case 'float64': {
      const out = new Float64Array(size);
      for (let i = 0; i < size; i++) out[target(i)] = view.getFloat64(at(i), le);
      data = out;
      break;
    }
    case 'int32': {
      const out = new Int32Array(size);
      for (let i = 0; i < size; i++) out[target(i)] = view.getInt32(at(i), le);
      data = out;
      break;
    }
    case 'int64': {
      const out = new Array<number>(size);
      for (let i = 0; i < size; i++) out[target(i)] = Number(view.getBigInt64(at(i), le));
      data = out;
      break;
    }
    case 'uint8':
    case 'bool': {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[target(i)] = bytes[at(i)] as number;
      data = out;
      break;
    }
    case 'string': {
      const chars = descr.itemSize / 4;
      const out = new Array<string>(size);
      for (let i = 0; i < size; i++) {
        const codes: number[] = [];
        for (let c = 0; c < chars; c++) {
          const code = view.getUint32(at(i) + 4 * c, le);
          if (code === 0) break;
          codes.push(code);
        }
        out[target(i)] = String.fromCodePoint(...codes);
      }
      data = out;
      break;
    }
  }
  return { dtype: descr.dtype, shape: header.shape, data };
}

const DESCR: Record<Exclude<NpyDtype, 'string'>, string> = {
  float32: '<f4',
  float64: '<f8',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  bool: '|b1',
};

/** Encode an array as .npy version 1.0, little-endian, C order (what numpy.save writes). */
export function writeNpy(array: NpyArray): Uint8Array {
  if (array.dtype === 'string') throw new NpyFormatError('writing string arrays is not supported');
  const size = array.shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== size) {
    throw new NpyFormatError(`shape [${array.shape}] needs ${size} values, got ${array.data.length}`);
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so that magic + version + length + header (ending in '\n') is a multiple of 64 bytes.
  const unpadded = 10 + dict.length + 1;
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  if (header.length > 0xffff) throw new NpyFormatError('header too long for format version 1.0');
  const itemSize = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 }[array.dtype];
  const out = new Uint8Array(10 + header.length + size * itemSize);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const start = 10 + header.length;
  const values = array.data as ArrayLike<number>;
  for (let i = 0; i < size; i++) {
    const offset = start + i * itemSize;
    const value = values[i] as number;
    switch (array.dtype) {
      case 'float32':
        view.setFloat32(offset, value, true);
        break;
      case 'float64':
        view.setFloat64(offset, value, true);
        break;
      case 'int32':
        view.setInt32(offset, value, true);
        break;
      case 'int64':
        view.setBigInt64(offset, BigInt(Math.round(value)), true);
        break;
      default:
        out[offset] = value;
    }
  }
  return out;
}
