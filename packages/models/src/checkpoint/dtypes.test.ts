import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat, decodeToFloat32, halfToFloat } from './dtypes.js';

function u16le(values: number[], offset = 0): Uint8Array {
  const bytes = new Uint8Array(offset + values.length * 2);
  const view = new DataView(bytes.buffer);
  for (const [i, v] of values.entries()) view.setUint16(offset + i * 2, v, true);
  return bytes.subarray(offset);
}

/** Independent reference for binary16: the textbook formula in float64 arithmetic. */
function halfReference(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = (h & 0x3ff) / 1024;
  if (exponent === 0) return sign * fraction * 2 ** -14;
  if (exponent === 31) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction) * 2 ** (exponent - 15);
}

describe('F16 to float32', () => {
  it('matches hand-computed values', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24); // 5.96e-8, the smallest subnormal
    expect(halfToFloat(0x03ff)).toBe(6.097555160522461e-5); // largest subnormal
    expect(halfToFloat(0x0400)).toBe(6.103515625e-5); // smallest normal
    expect(halfToFloat(0x3555)).toBe(0.333251953125);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfToFloat(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(Object.is(halfToFloat(0x0000), 0)).toBe(true);
  });

  it('agrees with the textbook formula on all 65536 bit patterns', () => {
    const all = Array.from({ length: 65536 }, (_, h) => h);
    const decoded = decodeToFloat32(u16le(all), 'F16', all.length);
    const mismatches: string[] = [];
    let nans = 0;
    for (let h = 0; h < 65536; h++) {
      const expected = halfReference(h);
      if (Number.isNaN(expected)) nans += Number.isNaN(decoded[h]) ? 1 : 0;
      else if (!Object.is(decoded[h], expected))
        mismatches.push(`0x${h.toString(16)}: ${decoded[h]} vs ${expected}`);
    }
    expect(mismatches).toEqual([]);
    expect(nans).toBe(2 * 1023);
  });

  it('decodes unaligned input through the DataView path identically', () => {
    const values = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00];
    const aligned = decodeToFloat32(u16le(values), 'F16', values.length);
    const unaligned = decodeToFloat32(u16le(values, 1), 'F16', values.length);
    expect(u16le(values, 1).byteOffset).toBe(1);
    expect([...unaligned]).toEqual([...aligned]);
    expect([...aligned]).toEqual([1, -2, 65504, 2 ** -24, -0, Number.POSITIVE_INFINITY]);
  });
});

describe('BF16 to float32', () => {
  it('matches hand-computed values', () => {
    expect(bfloat16ToFloat(0x3f80)).toBe(1);
    expect(bfloat16ToFloat(0x4049)).toBe(3.140625);
    expect(bfloat16ToFloat(0xc000)).toBe(-2);
    expect(bfloat16ToFloat(0x0001)).toBe(2 ** -133); // smallest subnormal
    expect(bfloat16ToFloat(0x7f80)).toBe(Number.POSITIVE_INFINITY);
    expect(bfloat16ToFloat(0xff80)).toBe(Number.NEGATIVE_INFINITY);
    expect(bfloat16ToFloat(0x7fc0)).toBeNaN();
    expect(Object.is(bfloat16ToFloat(0x8000), -0)).toBe(true);
  });

  it('places the 16 bits at the top of the float32 pattern, aligned or not', () => {
    const values = [0x3f80, 0x4049, 0x0001, 0xff80, 0x7fc1];
    for (const offset of [0, 1]) {
      const out = decodeToFloat32(u16le(values, offset), 'BF16', values.length);
      expect([...new Uint32Array(out.buffer)]).toEqual(values.map((v) => v * 65536));
    }
  });
});

describe('other dtypes to float32', () => {
  it('decodes F64, I64, I32, I16, I8, U8 and BOOL', () => {
    const f64 = new Uint8Array(16);
    new DataView(f64.buffer).setFloat64(0, 0.1, true);
    new DataView(f64.buffer).setFloat64(8, -1e300, true);
    expect([...decodeToFloat32(f64, 'F64', 2)]).toEqual([Math.fround(0.1), Number.NEGATIVE_INFINITY]);

    const i64 = new Uint8Array(24);
    const v64 = new DataView(i64.buffer);
    v64.setBigInt64(0, -3n, true);
    v64.setBigInt64(8, 2n ** 40n + 7n, true);
    v64.setBigInt64(16, -(2n ** 33n), true);
    expect([...decodeToFloat32(i64, 'I64', 3)]).toEqual([-3, Math.fround(2 ** 40 + 7), -(2 ** 33)]);

    const i32 = new Uint8Array(new Int32Array([-5, 123456]).buffer);
    expect([...decodeToFloat32(i32, 'I32', 2)]).toEqual([-5, 123456]);
    const i16 = new Uint8Array(new Int16Array([-32768, 7]).buffer);
    expect([...decodeToFloat32(i16, 'I16', 2)]).toEqual([-32768, 7]);
    expect([...decodeToFloat32(new Uint8Array([0xff, 0x7f]), 'I8', 2)]).toEqual([-1, 127]);
    expect([...decodeToFloat32(new Uint8Array([0xff, 0x7f]), 'U8', 2)]).toEqual([255, 127]);
    expect([...decodeToFloat32(new Uint8Array([0, 1, 2]), 'BOOL', 3)]).toEqual([0, 1, 1]);
  });

  it('refuses a buffer shorter than the element count needs', () => {
    expect(() => decodeToFloat32(new Uint8Array(6), 'F32', 2)).toThrow(RangeError);
  });
});
