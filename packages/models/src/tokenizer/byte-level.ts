/**
 * GPT-2's reversible byte <-> printable-character table (Radford et al. 2019, "Language Models are
 * Unsupervised Multitask Learners", §2.2): byte-level BPE works on bytes, but vocabularies are stored as
 * strings, so every byte is given a visible stand-in character that never collides with whitespace or
 * control characters.
 */

/** GPT-2's pre-tokenization pattern (contractions, letter runs, digit runs, other runs, whitespace). */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

function buildByteTable(): string[] {
  const table = new Array<string>(256);
  const kept = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  // Printable Latin-1 bytes stand for themselves; the rest are shifted past 255 in byte order.
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(kept(b) ? b : next++);
  return table;
}

/** BYTE_TO_CHAR[b] is the stand-in character for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteTable();

/** Maps a stand-in character's UTF-16 code unit back to its byte. */
export const CHAR_TO_BYTE: ReadonlyMap<number, number> = new Map(
  BYTE_TO_CHAR.map((c, b) => [c.charCodeAt(0), b]),
);

/** Replaces each UTF-8 byte of `text` by its stand-in character (the ByteLevel "normalization"). */
export function toByteChars(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x80) {
      out += BYTE_TO_CHAR[cp];
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as TextEncoder (and Rust's lossy conversion) would.
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x800) {
      out += BYTE_TO_CHAR[0xc0 | (cp >> 6)]! + BYTE_TO_CHAR[0x80 | (cp & 0x3f)]!;
    } else if (cp < 0x10000) {
      out +=
        BYTE_TO_CHAR[0xe0 | (cp >> 12)]! +
        BYTE_TO_CHAR[0x80 | ((cp >> 6) & 0x3f)]! +
        BYTE_TO_CHAR[0x80 | (cp & 0x3f)]!;
    } else {
      out +=
        BYTE_TO_CHAR[0xf0 | (cp >> 18)]! +
        BYTE_TO_CHAR[0x80 | ((cp >> 12) & 0x3f)]! +
        BYTE_TO_CHAR[0x80 | ((cp >> 6) & 0x3f)]! +
        BYTE_TO_CHAR[0x80 | (cp & 0x3f)]!;
    }
  }
  return out;
}

/**
 * The bytes a token string stands for, or undefined when some character is not a stand-in (such a token,
 * e.g. an added special token, is then emitted as its own UTF-8, as the Hugging Face decoder does).
 */
export function byteCharsToBytes(token: string, out: number[]): boolean {
  const start = out.length;
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token.charCodeAt(i));
    if (b === undefined) {
      out.length = start;
      return false;
    }
    out.push(b);
  }
  return true;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Lossy UTF-8 decoding: invalid sequences become U+FFFD. A leading BOM is kept, not swallowed. */
export function decodeUtf8(bytes: readonly number[] | Uint8Array): string {
  return utf8Decoder.decode(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
}

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}
