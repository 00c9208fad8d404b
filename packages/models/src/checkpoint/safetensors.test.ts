import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, LlmeditError } from '@llmedit/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  readSafetensors,
  readSafetensorsAsync,
  readSafetensorsHeader,
  readSafetensorsHeaderAsync,
  writeSafetensors,
} from './safetensors.js';
import { encodeSafetensors, parseSafetensors, parseSafetensorsHeader } from './safetensors-format.js';

const dir = mkdtempSync(join(tmpdir(), 'llmedit-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const tempFile = () => join(dir, `t${counter++}.safetensors`);

/** Builds a safetensors file by hand: any header (object or raw text), optional forced length field. */
function build(header: unknown, data: Uint8Array, options: { lengthField?: number } = {}): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(options.lengthField ?? json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

function writeBuilt(header: unknown, data: Uint8Array, options: { lengthField?: number } = {}): string {
  const file = tempFile();
  writeFileSync(file, build(header, data, options));
  return file;
}

function u16le(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (const [i, v] of values.entries()) view.setUint16(i * 2, v, true);
  return bytes;
}

function bitsOf(data: Float32Array): number[] {
  return [...new Uint32Array(data.buffer, data.byteOffset, data.length)];
}

/** Runs `fn` and returns the CheckpointError it must throw. */
function checkpointErrorOf(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    expect(LlmeditError.isInstance(error) && error.code).toBe('CHECKPOINT');
    return error as CheckpointError;
  }
  throw new Error('expected a CheckpointError, nothing was thrown');
}

const special = new Float32Array(
  new Uint32Array([
    0x00000000, // +0
    0x80000000, // -0
    0x00000001, // smallest subnormal
    0x807fffff, // largest negative subnormal
    0x7f800000, // +Infinity
    0xff800000, // -Infinity
    0x7f7fffff, // largest finite
    0x3f800000, // 1
    0x7fc00000, // NaN
  ]).buffer,
);

describe('safetensors write -> read round trip', () => {
  const tensors = {
    'transformer.h.0.attn.c_attn.weight': { shape: [3, 3], data: special },
    'a.scalar': { shape: [], data: new Float32Array([Math.PI]) },
    'b.empty': { shape: [0, 4], data: new Float32Array(0) },
    'c.random': {
      shape: [2, 3, 5],
      data: Float32Array.from({ length: 30 }, (_, i) => Math.sin(i * 7.1) * 1e-3),
    },
  };

  it('is bit-exact for -0, subnormals, infinities and NaN, from disk and from memory', async () => {
    const file = tempFile();
    writeSafetensors(file, tensors, { format: 'pt' });
    const fromBytes = parseSafetensors(readFileSync(file), file);
    for (const read of [readSafetensors(file), await readSafetensorsAsync(file), fromBytes]) {
      expect([...read.keys()].sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, tensor] of Object.entries(tensors)) {
        const got = read.get(name)!;
        expect(got.dtype).toBe('F32');
        expect(got.shape).toEqual(tensor.shape);
        expect(bitsOf(got.data)).toEqual(bitsOf(tensor.data));
      }
    }
    expect(readSafetensorsHeader(file).metadata).toEqual({ format: 'pt' });
    expect((await readSafetensorsHeaderAsync(file)).metadata).toEqual({ format: 'pt' });
  });

  it('writes deterministic bytes: sorted names, 8-byte aligned data, space padding, same as encode', () => {
    const reversed = new Map(Object.entries(tensors).reverse());
    const file = tempFile();
    writeSafetensors(file, reversed, { format: 'pt' });
    const onDisk = new Uint8Array(readFileSync(file));
    const inMemory = encodeSafetensors(tensors, { format: 'pt' });
    expect(Buffer.compare(onDisk, inMemory)).toBe(0);

    const header = parseSafetensorsHeader(inMemory, 'mem');
    expect(header.dataStart % 8).toBe(0);
    expect([...header.tensors.keys()]).toEqual([
      'a.scalar',
      'b.empty',
      'c.random',
      'transformer.h.0.attn.c_attn.weight',
    ]);
    const text = new TextDecoder().decode(inMemory.subarray(8, header.dataStart));
    expect(text.startsWith('{"__metadata__":{"format":"pt"},"a.scalar":')).toBe(true);
    expect(text.trimEnd()).toBe(text.slice(0, text.lastIndexOf('}') + 1));
  });

  it('lays out a one-tensor file exactly as the format specifies', () => {
    const bytes = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, -2]) } });
    const json = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes, padded to 56
    expect(json.length).toBe(54);
    expect(new DataView(bytes.buffer).getBigUint64(0, true)).toBe(56n);
    expect(new TextDecoder().decode(bytes.subarray(8, 64))).toBe(`${json}  `);
    expect([...bytes.subarray(64)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
    expect(bytes.byteLength).toBe(72);
  });

  it('loads only the requested names, and names a requested tensor that is missing', () => {
    const file = tempFile();
    writeSafetensors(file, tensors);
    const some = readSafetensors(file, { names: ['c.random'] });
    expect([...some.keys()]).toEqual(['c.random']);
    const error = checkpointErrorOf(() => readSafetensors(file, { names: ['c.random', 'lm_head.weight'] }));
    expect(error.tensor).toBe('lm_head.weight');
    expect(error.message).toContain("'lm_head.weight'");
  });

  it('refuses to write inconsistent tensors, leaving no file behind', () => {
    const file = tempFile();
    const error = checkpointErrorOf(() =>
      writeSafetensors(file, { bad: { shape: [2, 2], data: new Float32Array(3) } }),
    );
    expect(error.tensor).toBe('bad');
    expect(error.message).toContain('4 elements but data has 3');
    expect(() => readFileSync(file)).toThrow();
  });
});

describe('hand-built F16 / BF16 / mixed files', () => {
  // 'h' (F16, 2x2) then 'b' (BF16, 3) then 'i' (I32, 1); header lengths are whatever JSON gives,
  // usually not 8-aligned, so the in-memory parse exercises unaligned decoding.
  const data = new Uint8Array([
    ...u16le([0x3c00, 0xc000, 0x7bff, 0x0001]),
    ...u16le([0x3f80, 0x4049, 0xff80]),
    ...new Uint8Array(new Int32Array([-7]).buffer),
  ]);
  const header = {
    __metadata__: { source: 'hand' },
    h: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 8] },
    b: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] },
    i: { dtype: 'I32', shape: [1], data_offsets: [14, 18] },
  };

  it('decodes each dtype to the hand-computed float32 values', async () => {
    const bytes = build(header, data);
    const file = tempFile();
    writeFileSync(file, bytes);
    for (const read of [
      readSafetensors(file),
      await readSafetensorsAsync(file),
      parseSafetensors(bytes, 'mem'),
    ]) {
      expect(read.get('h')).toEqual({
        dtype: 'F16',
        shape: [2, 2],
        data: new Float32Array([1, -2, 65504, 2 ** -24]),
      });
      expect(read.get('b')).toEqual({
        dtype: 'BF16',
        shape: [3],
        data: new Float32Array([1, 3.140625, Number.NEGATIVE_INFINITY]),
      });
      expect(read.get('i')).toEqual({ dtype: 'I32', shape: [1], data: new Float32Array([-7]) });
    }
    expect(readSafetensorsHeader(file).metadata).toEqual({ source: 'hand' });
  });
});

describe('corrupt files give CheckpointError', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Uint8Array(8);

  it('names the file when it does not exist', () => {
    const error = checkpointErrorOf(() => readSafetensors(join(dir, 'nope.safetensors')));
    expect(error.message).toContain('nope.safetensors');
    expect(error.message).toContain('file not found');
  });

  it('rejects a file shorter than the length prefix', () => {
    const file = tempFile();
    writeFileSync(file, new Uint8Array(5));
    expect(checkpointErrorOf(() => readSafetensorsHeader(file)).message).toContain('too short');
  });

  it('rejects a header length beyond the file, and an absurd one', () => {
    const beyond = writeBuilt(ok, eight, { lengthField: 500 });
    expect(checkpointErrorOf(() => readSafetensors(beyond)).message).toContain(
      'runs past the end of the file',
    );
    const absurd = writeBuilt(ok, eight, { lengthField: 2 ** 40 });
    expect(checkpointErrorOf(() => readSafetensors(absurd)).message).toContain(
      'exceeds the 100000000-byte limit',
    );
  });

  it('rejects corrupt header JSON and non-object headers', () => {
    const corrupt = writeBuilt('{"w": {"dtype": "F32", "shape": [2], ', eight);
    expect(checkpointErrorOf(() => readSafetensors(corrupt)).message).toContain('header is not valid JSON');
    const array = writeBuilt('[1, 2]', eight);
    expect(checkpointErrorOf(() => readSafetensors(array)).message).toContain('not an object');
    const badUtf8 = build(ok, eight);
    badUtf8[10] = 0xff;
    expect(checkpointErrorOf(() => parseSafetensors(badUtf8, 'mem')).message).toContain('not valid UTF-8');
    const badMeta = writeBuilt({ __metadata__: { n: 3 }, ...ok }, eight);
    expect(checkpointErrorOf(() => readSafetensors(badMeta)).message).toContain("'__metadata__.n'");
  });

  it('names the tensor of a truncated file (data section cut)', () => {
    const file = tempFile();
    writeSafetensors(file, {
      a: { shape: [4], data: new Float32Array(4) },
      z: { shape: [4], data: new Float32Array(4) },
    });
    truncateSync(file, readFileSync(file).byteLength - 4);
    const error = checkpointErrorOf(() => readSafetensors(file));
    expect(error.tensor).toBe('z');
    expect(error.message).toContain("[tensor 'z']");
    expect(error.message).toContain('truncated');
  });

  it('names the tensor whose offsets overlap another', () => {
    const file = writeBuilt(
      {
        a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
      },
      new Uint8Array(24),
    );
    const error = checkpointErrorOf(() => readSafetensors(file));
    expect(error.tensor).toBe('b');
    expect(error.message).toMatch(/overlap those of tensor 'a'/);
  });

  it('rejects a header length one byte short (the tensors would be read one byte off)', () => {
    const good = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
    const view = new DataView(good.buffer, good.byteOffset, 8);
    const length = view.getUint32(0, true);
    // The writer pads the JSON with spaces: dropping one padding byte still leaves valid JSON.
    expect(good[8 + length - 1]).toBe(0x20);
    const short = good.slice();
    new DataView(short.buffer).setUint32(0, length - 1, true);
    const error = checkpointErrorOf(() => parseSafetensors(short, 'mem'));
    expect(error.message).toContain('the tensors cover 8 bytes but the data section holds 9');
  });

  it('rejects trailing bytes and gaps between tensors', () => {
    const trailing = build(ok, new Uint8Array(12));
    expect(checkpointErrorOf(() => parseSafetensors(trailing, 'mem')).message).toContain(
      'the tensors cover 8 bytes but the data section holds 12',
    );
    const gap = build(
      {
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      },
      new Uint8Array(12),
    );
    const error = checkpointErrorOf(() => parseSafetensors(gap, 'mem'));
    expect(error.tensor).toBe('b');
    expect(error.message).toContain('leave bytes [4, 8) of the data section to no tensor');
    const late = build({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight);
    expect(checkpointErrorOf(() => parseSafetensors(late, 'mem')).message).toContain('bytes [0, 4)');
  });

  it('names the tensor whose offsets fall outside the file', () => {
    const file = writeBuilt({ w: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, new Uint8Array(16));
    const error = checkpointErrorOf(() => readSafetensorsHeader(file));
    expect(error.tensor).toBe('w');
    expect(error.message).toContain('run past the end of the data section (16 bytes)');
  });

  it('names the tensor whose shape x dtype does not match its byte range', () => {
    const file = writeBuilt({ w: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, eight);
    const error = checkpointErrorOf(() => readSafetensors(file));
    expect(error.tensor).toBe('w');
    expect(error.message).toContain('shape [3] of F16 needs 6 bytes but data_offsets [0, 8] hold 8');
  });

  it('names the tensor with an unknown dtype', () => {
    const file = writeBuilt({ w: { dtype: 'Q4_K', shape: [2], data_offsets: [0, 8] } }, eight);
    const error = checkpointErrorOf(() => readSafetensors(file));
    expect(error.tensor).toBe('w');
    expect(error.message).toContain('unknown dtype "Q4_K"');
  });

  it('names the tensor with a malformed shape or offsets', () => {
    const cases: [unknown, string][] = [
      [{ dtype: 'F32', shape: [-2], data_offsets: [0, 8] }, 'not an array of non-negative integers'],
      [{ dtype: 'F32', shape: [1.5], data_offsets: [0, 8] }, 'not an array of non-negative integers'],
      [{ dtype: 'F32', shape: [2], data_offsets: [0] }, 'not a pair of non-negative integers'],
      [{ dtype: 'F32', shape: [0], data_offsets: [8, 0] }, 'begin > end'],
      ['F32', 'entry is not an object'],
    ];
    for (const [entry, message] of cases) {
      const error = checkpointErrorOf(() => parseSafetensors(build({ w: entry }, eight), 'mem'));
      expect(error.tensor).toBe('w');
      expect(error.message).toContain(message);
    }
  });
});
