// A minimal ZIP reader/writer for .npz files (PKWARE APPNOTE.TXT 6.3: local headers, central directory,
// end of central directory, ZIP64 extra field 0x0001). Writes stored (uncompressed) entries; reads
// stored and deflate entries, as numpy's savez and savez_compressed write them.
import { LlmeditError } from '@llmedit/core';

/** A .npz/.zip file is malformed or uses a feature this reader does not support. */
export class ZipFormatError extends LlmeditError {
  constructor(message: string) {
    super('ZIP_FORMAT', `Invalid zip/npz data: ${message}`);
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309 polynomial 0xEDB88320), as zip stores it. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
// 1980-01-01 00:00 in MS-DOS time/date, so that the same arrays always give the same bytes.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip archive of stored (uncompressed) entries, byte-for-byte deterministic. Entries must be < 4 GiB. */
export function writeZip(entries: readonly ZipEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const names = entries.map((entry) => encoder.encode(entry.name));
  let size = 22;
  entries.forEach((entry, i) => {
    const nameLength = (names[i] as Uint8Array).length;
    size += 30 + nameLength + entry.data.length + 46 + nameLength;
  });
  if (size > 0xffffffff) throw new ZipFormatError('archives over 4 GiB are not supported by the writer');
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  const offsets: number[] = [];
  const crcs: number[] = [];
  entries.forEach((entry, i) => {
    const name = names[i] as Uint8Array;
    const crc = crc32(entry.data);
    crcs.push(crc);
    offsets.push(offset);
    view.setUint32(offset, LOCAL_SIGNATURE, true);
    view.setUint16(offset + 4, 20, true); // version needed: 2.0
    view.setUint16(offset + 6, 0, true); // flags
    view.setUint16(offset + 8, 0, true); // method: stored
    view.setUint16(offset + 10, DOS_TIME, true);
    view.setUint16(offset + 12, DOS_DATE, true);
    view.setUint32(offset + 14, crc, true);
    view.setUint32(offset + 18, entry.data.length, true);
    view.setUint32(offset + 22, entry.data.length, true);
    view.setUint16(offset + 26, name.length, true);
    view.setUint16(offset + 28, 0, true);
    out.set(name, offset + 30);
    out.set(entry.data, offset + 30 + name.length);
    offset += 30 + name.length + entry.data.length;
  });
  const centralStart = offset;
  entries.forEach((entry, i) => {
    const name = names[i] as Uint8Array;
    view.setUint32(offset, CENTRAL_SIGNATURE, true);
    view.setUint16(offset + 4, 20, true); // version made by
    view.setUint16(offset + 6, 20, true); // version needed
    view.setUint16(offset + 8, 0, true);
    view.setUint16(offset + 10, 0, true);
    view.setUint16(offset + 12, DOS_TIME, true);
    view.setUint16(offset + 14, DOS_DATE, true);
    view.setUint32(offset + 16, crcs[i] as number, true);
    view.setUint32(offset + 20, entry.data.length, true);
    view.setUint32(offset + 24, entry.data.length, true);
    view.setUint16(offset + 28, name.length, true);
    // extra, comment, disk start, internal attributes: 0
    view.setUint32(offset + 38, 0o100644 * 0x10000, true); // external attributes: a regular file, rw-r--r--
    view.setUint32(offset + 42, offsets[i] as number, true);
    out.set(name, offset + 46);
    offset += 46 + name.length;
  });
  view.setUint32(offset, END_SIGNATURE, true);
  view.setUint16(offset + 8, entries.length, true);
  view.setUint16(offset + 10, entries.length, true);
  view.setUint32(offset + 12, offset - centralStart, true);
  view.setUint32(offset + 16, centralStart, true);
  return out;
}

function findEndRecord(view: DataView): number {
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  const earliest = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let offset = view.byteLength - 22; offset >= earliest; offset--) {
    if (view.getUint32(offset, true) === END_SIGNATURE) return offset;
  }
  throw new ZipFormatError('no end-of-central-directory record (not a zip file, or truncated)');
}

function bigToNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`${what} is too large`);
  return Number(value);
}

/**
 * Inflate a deflate entry with Node's zlib, taken from the running process rather than imported, so that this
 * module stays loadable in a browser (whose only inflater, DecompressionStream, is asynchronous). numpy's
 * `savez` (and llmedit's statistics files) store entries uncompressed; only `savez_compressed` needs this.
 */
function inflateRaw(raw: Uint8Array, name: string): Uint8Array {
  const host = typeof process === 'undefined' ? undefined : process;
  const zlib = host?.getBuiltinModule?.('node:zlib') as typeof import('node:zlib') | undefined;
  if (zlib === undefined) {
    throw new ZipFormatError(
      `entry '${name}' is deflate-compressed, which needs Node's zlib (store it uncompressed: numpy's savez)`,
    );
  }
  return new Uint8Array(zlib.inflateRawSync(raw));
}

/**
 * The entries of a zip archive (stored or deflate, ZIP64 sizes and offsets included), read through the
 * central directory. Every entry's CRC-32 is checked.
 */
export function readZip(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndRecord(view);
  let count = view.getUint16(end + 10, true);
  let centralOffset = view.getUint32(end + 16, true);
  const locator = end - 20;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64End = bigToNumber(view.getBigUint64(locator + 8, true), 'zip64 end offset');
    if (zip64End + 56 > bytes.length || view.getUint32(zip64End, true) !== ZIP64_END_SIGNATURE) {
      throw new ZipFormatError('bad zip64 end-of-central-directory record');
    }
    count = bigToNumber(view.getBigUint64(zip64End + 32, true), 'entry count');
    centralOffset = bigToNumber(view.getBigUint64(zip64End + 48, true), 'central directory offset');
  }
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let offset = centralOffset;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError(`bad central directory entry ${i}`);
    }
    const flags = view.getUint16(offset + 8, true);
    const method = view.getUint16(offset + 10, true);
    const crc = view.getUint32(offset + 16, true);
    let compressedSize = view.getUint32(offset + 20, true);
    let size = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    let localOffset = view.getUint32(offset + 42, true);
    const name = decoder.decode(bytes.subarray(offset + 46, offset + 46 + nameLength));
    // ZIP64: the fields that overflowed hold 0xffffffff and their values follow, in order, in extra 0x0001.
    let extra = offset + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === 0x0001) {
        let field = extra + 4;
        if (size === 0xffffffff) {
          size = bigToNumber(view.getBigUint64(field, true), 'entry size');
          field += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = bigToNumber(view.getBigUint64(field, true), 'compressed size');
          field += 8;
        }
        if (localOffset === 0xffffffff) localOffset = bigToNumber(view.getBigUint64(field, true), 'offset');
      }
      extra += 4 + length;
    }
    if (flags & 1) throw new ZipFormatError(`entry '${name}' is encrypted`);
    if (localOffset + 30 > bytes.length || view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) {
      throw new ZipFormatError(`bad local header for entry '${name}'`);
    }
    // The local header's own sizes may be placeholders (data descriptors, numpy's forced ZIP64): use the
    // central directory's, and the local header only to find where the data starts.
    const dataStart =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressedSize > bytes.length) throw new ZipFormatError(`entry '${name}' is truncated`);
    const raw = bytes.subarray(dataStart, dataStart + compressedSize);
    let data: Uint8Array;
    if (method === 0) {
      data = raw;
    } else if (method === 8) {
      data = inflateRaw(raw, name);
    } else {
      throw new ZipFormatError(`entry '${name}' uses compression method ${method} (only stored and deflate)`);
    }
    if (data.length !== size) {
      throw new ZipFormatError(`entry '${name}' has ${data.length} bytes, the directory says ${size}`);
    }
    if (crc32(data) !== crc) throw new ZipFormatError(`entry '${name}' fails its CRC-32 check`);
    entries.push({ name, data });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
