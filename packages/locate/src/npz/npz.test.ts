import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from './npy.js';
import { readNpz, writeNpz } from './npz.js';
import { crc32, readZip, writeZip, ZipFormatError } from './zip.js';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url)));

// The 3 x 3 mom2 sum numpy wrote into the fixtures (count 5): ((arange(9)/7 + I) sym) * 5, float32.
const expectedMom2 = [5, 1.4285715, 2.857143, 1.4285715, 7.8571424, 4.285714, 2.857143, 4.285714, 10.714285];

describe('npz', () => {
  it.each(['rome-stats-stored.npz', 'rome-stats-deflate.npz'])(
    "reads ROME's layer-statistics layout written by numpy (%s)",
    (name) => {
      const arrays = readNpz(fixture(name));
      expect([...arrays.keys()].sort()).toEqual(['mom2.constructor', 'mom2.count', 'mom2.mom2']);
      const count = arrays.get('mom2.count');
      expect(count).toMatchObject({ dtype: 'int64', shape: [] });
      expect(count?.data).toEqual([5]);
      const mom2 = arrays.get('mom2.mom2');
      expect(mom2?.dtype).toBe('float32');
      expect(mom2?.shape).toEqual([3, 3]);
      Array.from(mom2?.data as Float32Array).forEach((value, i) => {
        expect(value).toBeCloseTo(expectedMom2[i] as number, 5);
      });
      expect(arrays.get('mom2.constructor')?.data).toEqual(['util.runningstats.SecondMoment()']);
    },
  );

  it('reads Fortran-order, big-endian arrays into C order', () => {
    const array = readNpy(fixture('fortran-bigendian.npy'));
    expect(array.dtype).toBe('float64');
    expect(array.shape).toEqual([2, 3]);
    expect(Array.from(array.data as Float64Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('round-trips what it writes, with a 64-byte aligned header, deterministically', () => {
    const mom2 = Float32Array.from({ length: 12 }, (_, i) => i / 3);
    const written = writeNpz([
      ['mom2.mom2', { dtype: 'float32', shape: [3, 4], data: mom2 }],
      ['mom2.count', { dtype: 'int64', shape: [], data: [123456789012] }],
      ['mom2.f64', { dtype: 'float64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) }],
    ]);
    const again = writeNpz([
      ['mom2.mom2', { dtype: 'float32', shape: [3, 4], data: mom2 }],
      ['mom2.count', { dtype: 'int64', shape: [], data: [123456789012] }],
      ['mom2.f64', { dtype: 'float64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) }],
    ]);
    expect(Buffer.from(written).equals(Buffer.from(again))).toBe(true);
    const read = readNpz(written);
    expect(Array.from(read.get('mom2.mom2')?.data as Float32Array)).toEqual(Array.from(mom2));
    expect(read.get('mom2.count')?.data).toEqual([123456789012]);
    expect(Array.from(read.get('mom2.f64')?.data as Float64Array)).toEqual([Math.PI, -1e300]);
    const npy = writeNpy({ dtype: 'float32', shape: [3, 4], data: mom2 });
    expect((10 + new DataView(npy.buffer).getUint16(8, true)) % 64).toBe(0);
    expect(new TextDecoder().decode(npy.subarray(10, 70))).toContain("'shape': (3, 4)");
  });

  it('reads deflate entries and checks CRCs and truncation', () => {
    const data = new TextEncoder().encode('hello hello hello hello');
    const stored = writeZip([{ name: 'a.txt', data }]);
    expect(readZip(stored)[0]?.data).toEqual(data);
    // Swap the stored payload for a deflate one by hand: method 8, compressed size, data.
    const compressed = new Uint8Array(deflateRawSync(data));
    const entry = { name: 'a.txt', data };
    const rebuilt = writeZip([entry]);
    const view = new DataView(rebuilt.buffer);
    const centralStart = view.getUint32(rebuilt.length - 6, true);
    const local = new Uint8Array(30 + 5 + compressed.length);
    local.set(rebuilt.subarray(0, 35));
    new DataView(local.buffer).setUint16(8, 8, true);
    new DataView(local.buffer).setUint32(18, compressed.length, true);
    local.set(compressed, 35);
    const central = rebuilt.slice(centralStart, rebuilt.length - 22);
    new DataView(central.buffer).setUint16(10, 8, true);
    new DataView(central.buffer).setUint32(20, compressed.length, true);
    const end = rebuilt.slice(rebuilt.length - 22);
    new DataView(end.buffer).setUint32(16, local.length, true);
    const zip = new Uint8Array([...local, ...central, ...end]);
    expect(new TextDecoder().decode(readZip(zip)[0]?.data)).toBe('hello hello hello hello');

    const corrupt = stored.slice();
    corrupt[35] = (corrupt[35] as number) ^ 1;
    expect(() => readZip(corrupt)).toThrow(/CRC-32/);
    expect(() => readZip(stored.subarray(0, stored.length - 30))).toThrow(ZipFormatError);
    expect(() => readNpy(new Uint8Array(20))).toThrow(/magic/);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
