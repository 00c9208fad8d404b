// Element types of the safetensors format and their exact conversion to float32.
// F16 is IEEE 754 binary16; BF16 is the upper half of an IEEE 754 binary32.

/** The safetensors element types this reader understands. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each dtype. */
export const DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SIZES, value);
}

/** Safetensors stores every multi-byte value little-endian; on such hosts typed-array views need no swapping. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let f16Table: Uint32Array | undefined;

/**
 * float32 bit patterns of all 65536 half-precision values. A table makes decoding one load per element and
 * keeps it exact; building it costs about a millisecond and 256 KiB, once.
 */
function halfToFloatBitsTable(): Uint32Array {
  if (f16Table !== undefined) return f16Table;
  const bits = new Uint32Array(65536);
  const asFloat = new Float32Array(bits.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) {
      // Zero and subnormals: mantissa * 2^-24 is exact in float32 (which has a much wider exponent range).
      const magnitude = mantissa * 2 ** -24;
      asFloat[h] = sign === 0 ? magnitude : -magnitude;
    } else if (exponent === 0x1f) {
      // Infinity, or NaN with its payload moved to the top of the float32 mantissa.
      bits[h] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    } else {
      // Normal: rebias the exponent from 15 to 127 and widen the mantissa.
      bits[h] = (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
    }
  }
  f16Table = bits;
  return bits;
}

/** Exact float32 value of one binary16 bit pattern. */
export function halfToFloat(bits: number): number {
  const table = halfToFloatBitsTable();
  return new Float32Array(new Uint32Array([table[bits & 0xffff]!]).buffer)[0]!;
}

/** Exact float32 value of one bfloat16 bit pattern. */
export function bfloat16ToFloat(bits: number): number {
  return new Float32Array(new Uint32Array([(bits & 0xffff) << 16]).buffer)[0]!;
}

/**
 * Decodes `count` little-endian elements of `dtype` starting at `bytes[0]` into a fresh Float32Array.
 * Floats convert exactly (F64 rounds to nearest float32); integers convert to the nearest float32, which is
 * exact up to 2^24 in magnitude. Bit patterns of F32/F16/BF16 (signed zeros, infinities, NaN payloads) are
 * preserved by copying integers rather than going through JS numbers.
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: SafetensorsDtype, count: number): Float32Array {
  const out = new Float32Array(count);
  const outBits = new Uint32Array(out.buffer);
  const size = DTYPE_SIZES[dtype];
  if (bytes.byteLength < count * size) {
    throw new RangeError(
      `need ${count * size} bytes for ${count} ${dtype} elements, got ${bytes.byteLength}`,
    );
  }
  // Typed-array views need element alignment and host byte order; otherwise fall back to DataView.
  const viewable = HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % size === 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * size);
  switch (dtype) {
    case 'F32':
      if (HOST_IS_LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
      else for (let i = 0; i < count; i++) outBits[i] = view.getUint32(i * 4, true);
      break;
    case 'F16': {
      const table = halfToFloatBitsTable();
      if (viewable) {
        const src = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
        for (let i = 0; i < count; i++) outBits[i] = table[src[i]!]!;
      } else {
        for (let i = 0; i < count; i++) outBits[i] = table[view.getUint16(i * 2, true)]!;
      }
      break;
    }
    case 'BF16':
      if (viewable) {
        const src = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
        for (let i = 0; i < count; i++) outBits[i] = src[i]! << 16;
      } else {
        for (let i = 0; i < count; i++) outBits[i] = view.getUint16(i * 2, true) << 16;
      }
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'I64':
      // High word times 2^32 is exact; adding the unsigned low word rounds once in float64 above 2^53,
      // far beyond float32's integer range, so the result is the nearest float32 in practice.
      for (let i = 0; i < count; i++) {
        out[i] = view.getInt32(i * 8 + 4, true) * 4294967296 + view.getUint32(i * 8, true);
      }
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < count; i++) out[i] = bytes[i]!;
      break;
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = bytes[i] === 0 ? 0 : 1;
      break;
  }
  return out;
}
