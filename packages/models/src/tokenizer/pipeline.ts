import { TokenizerError } from '@llmedit/core';
import { byteCharsToBytes, decodeUtf8, encodeUtf8, GPT2_PATTERN, toByteChars } from './byte-level.js';
import { compileOnigurumaPattern, escapeRegex } from './regex.js';

/**
 * The normalizer, pre-tokenizer, decoder and post-processor stages of a Hugging Face tokenizer.json,
 * rebuilt from their JSON descriptions. Every unknown or unsupported component throws TokenizerError naming
 * it, rather than being skipped, because a skipped stage silently changes token ids.
 */

type Json = Record<string, unknown>;

export interface SegmentContext {
  /** The segment starts at offset 0 of the input text (nothing, not even an added token, precedes it). */
  readonly atStart: boolean;
  /** Encoding a continuation of earlier text: no prefix space/metaspace is added. */
  readonly continuation: boolean;
}

export type Normalizer = (text: string, ctx: SegmentContext) => string;
export type PreTokenizer = (pieces: string[], ctx: SegmentContext) => string[];
export type Decoder = (tokens: string[]) => string[];
export interface PostProcessor {
  readonly prefix: readonly number[];
  readonly suffix: readonly number[];
}

function fail(where: string, message: string): never {
  throw new TokenizerError(`tokenizer.json ${where}: ${message}`);
}

function asObject(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'expected an object');
  return value as Json;
}

function typeOf(value: Json, where: string): string {
  if (typeof value.type !== 'string') fail(where, "missing 'type'");
  return value.type;
}

function stringField(value: Json, key: string, where: string): string {
  const v = value[key];
  if (typeof v !== 'string') fail(where, `'${key}' must be a string`);
  return v;
}

function boolField(value: Json, key: string, fallback: boolean): boolean {
  const v = value[key];
  return typeof v === 'boolean' ? v : fallback;
}

function arrayField(value: Json, key: string, where: string): unknown[] {
  const v = value[key];
  if (!Array.isArray(v)) fail(where, `'${key}' must be an array`);
  return v;
}

/** A `{String: s}` or `{Regex: r}` pattern as a global JS regex. */
function patternRegex(value: unknown, where: string): RegExp {
  const p = asObject(value, `${where}.pattern`);
  if (typeof p.String === 'string') return new RegExp(escapeRegex(p.String), 'gu');
  if (typeof p.Regex === 'string') return compileOnigurumaPattern(p.Regex);
  return fail(`${where}.pattern`, 'expected {String: ...} or {Regex: ...}');
}

// ---------------------------------------------------------------------------------------------- normalizers

export function buildNormalizer(value: unknown, where = 'normalizer'): Normalizer | undefined {
  if (value === null || value === undefined) return undefined;
  const json = asObject(value, where);
  const type = typeOf(json, where);
  switch (type) {
    case 'Sequence': {
      const parts = arrayField(json, 'normalizers', where)
        .map((n, i) => buildNormalizer(n, `${where}.normalizers[${i}]`))
        .filter((n): n is Normalizer => n !== undefined);
      return (text, ctx) => parts.reduce((t, n) => n(t, ctx), text);
    }
    case 'Prepend': {
      const prefix = stringField(json, 'prepend', where);
      // Empty text stays empty; a continuation is not the start of a sentence.
      return (text, ctx) => (text.length === 0 || ctx.continuation ? text : prefix + text);
    }
    case 'Replace': {
      const re = patternRegex(json.pattern, where);
      const content = stringField(json, 'content', where);
      return (text) => text.replace(re, () => content);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (text) => text.normalize(type);
    case 'Lowercase':
      return (text) => text.toLowerCase();
    case 'Strip': {
      const left = boolField(json, 'strip_left', true);
      const right = boolField(json, 'strip_right', true);
      return (text) => {
        let t = text;
        if (left) t = t.replace(/^\s+/u, '');
        if (right) t = t.replace(/\s+$/u, '');
        return t;
      };
    }
    default:
      return fail(where, `normalizer type '${type}' is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------- pre-tokenizers

type Behavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
const BEHAVIORS = new Set<string>([
  'Removed',
  'Isolated',
  'MergedWithPrevious',
  'MergedWithNext',
  'Contiguous',
]);

/** Splits `text` around the (non-empty) matches of `re`, then groups the parts as `behavior` says. */
export function splitWithBehavior(text: string, re: RegExp, behavior: Behavior, invert = false): string[] {
  const parts: { start: number; end: number; match: boolean }[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) continue;
    if (start > last) parts.push({ start: last, end: start, match: invert });
    parts.push({ start, end, match: !invert });
    last = end;
  }
  if (last < text.length) parts.push({ start: last, end: text.length, match: invert });

  let grouped: { start: number; end: number; match: boolean }[];
  switch (behavior) {
    case 'Removed':
      grouped = parts.filter((p) => !p.match);
      break;
    case 'Isolated':
      grouped = parts;
      break;
    case 'MergedWithPrevious': {
      grouped = [];
      let previousMatch = false;
      for (const p of parts) {
        const tail = grouped[grouped.length - 1];
        if (p.match && !previousMatch && tail !== undefined) tail.end = p.end;
        else grouped.push({ ...p });
        previousMatch = p.match;
      }
      break;
    }
    case 'MergedWithNext': {
      grouped = [];
      let nextMatch = false;
      for (let i = parts.length - 1; i >= 0; i--) {
        const p = parts[i]!;
        const head = grouped[grouped.length - 1];
        if (p.match && !nextMatch && head !== undefined) head.start = p.start;
        else grouped.push({ ...p });
        nextMatch = p.match;
      }
      grouped.reverse();
      break;
    }
    case 'Contiguous': {
      grouped = [];
      for (const p of parts) {
        const tail = grouped[grouped.length - 1];
        if (tail !== undefined && tail.match === p.match) tail.end = p.end;
        else grouped.push({ ...p });
      }
      break;
    }
  }
  return grouped.map((p) => text.slice(p.start, p.end));
}

let gpt2Regex: RegExp | undefined;
/**
 * GPT-2's pattern, compiled once. It uses JavaScript's `\s`, as js-tiktoken and gpt-3-encoder do; Rust's
 * (Hugging Face, tiktoken) differs on two characters only: U+0085 is whitespace there, U+FEFF is not.
 */
export function gpt2SplitRegex(): RegExp {
  gpt2Regex ??= new RegExp(GPT2_PATTERN, 'gu');
  return gpt2Regex;
}

function mapPieces(pieces: string[], f: (piece: string, index: number) => string[]): string[] {
  const out: string[] = [];
  pieces.forEach((piece, index) => {
    for (const p of f(piece, index)) if (p.length > 0) out.push(p);
  });
  return out;
}

export function buildPreTokenizer(value: unknown, where = 'pre_tokenizer'): PreTokenizer | undefined {
  if (value === null || value === undefined) return undefined;
  const json = asObject(value, where);
  const type = typeOf(json, where);
  switch (type) {
    case 'Sequence': {
      const parts = arrayField(json, 'pretokenizers', where)
        .map((p, i) => buildPreTokenizer(p, `${where}.pretokenizers[${i}]`))
        .filter((p): p is PreTokenizer => p !== undefined);
      return (pieces, ctx) => parts.reduce((ps, p) => p(ps, ctx), pieces);
    }
    case 'ByteLevel': {
      const addPrefixSpace = boolField(json, 'add_prefix_space', true);
      const useRegex = boolField(json, 'use_regex', true);
      const re = gpt2SplitRegex();
      return (pieces, ctx) =>
        mapPieces(pieces, (piece) => {
          const text = addPrefixSpace && !ctx.continuation && !piece.startsWith(' ') ? ` ${piece}` : piece;
          if (!useRegex) return [toByteChars(text)];
          const words: string[] = [];
          for (const m of text.matchAll(re)) words.push(toByteChars(m[0]));
          return words;
        });
    }
    case 'Split': {
      const re = patternRegex(json.pattern, where);
      const behavior = json.behavior;
      if (typeof behavior !== 'string' || !BEHAVIORS.has(behavior)) {
        return fail(where, `unknown split behavior ${JSON.stringify(behavior)}`);
      }
      const invert = boolField(json, 'invert', false);
      return (pieces) => mapPieces(pieces, (p) => splitWithBehavior(p, re, behavior as Behavior, invert));
    }
    case 'Metaspace': {
      const replacement = stringField(json, 'replacement', where);
      let scheme: string;
      if (typeof json.prepend_scheme === 'string') scheme = json.prepend_scheme;
      else scheme = boolField(json, 'add_prefix_space', true) ? 'always' : 'never';
      if (!['always', 'first', 'never'].includes(scheme)) fail(where, `unknown prepend_scheme '${scheme}'`);
      const split = boolField(json, 'split', true);
      const splitRe = new RegExp(escapeRegex(replacement), 'gu');
      return (pieces, ctx) =>
        mapPieces(pieces, (piece, index) => {
          let text = piece.replaceAll(' ', replacement);
          const prepend =
            !ctx.continuation && (scheme === 'always' || (scheme === 'first' && ctx.atStart && index === 0));
          if (prepend && !text.startsWith(replacement)) text = replacement + text;
          return split ? splitWithBehavior(text, splitRe, 'MergedWithNext') : [text];
        });
    }
    case 'Digits': {
      const individual = boolField(json, 'individual_digits', false);
      const re = /[0-9]/gu;
      return (pieces) =>
        mapPieces(pieces, (p) => splitWithBehavior(p, re, individual ? 'Isolated' : 'Contiguous'));
    }
    case 'WhitespaceSplit': {
      const re = /\s+/gu;
      return (pieces) => mapPieces(pieces, (p) => splitWithBehavior(p, re, 'Removed'));
    }
    case 'Whitespace': {
      const re = /\w+|[^\w\s]+/gu;
      return (pieces) => mapPieces(pieces, (p) => splitWithBehavior(p, re, 'Removed', true));
    }
    default:
      return fail(where, `pre-tokenizer type '${type}' is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------- decoders

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

export function buildDecoder(value: unknown, where = 'decoder'): Decoder | undefined {
  if (value === null || value === undefined) return undefined;
  const json = asObject(value, where);
  const type = typeOf(json, where);
  switch (type) {
    case 'Sequence': {
      const parts = arrayField(json, 'decoders', where)
        .map((d, i) => buildDecoder(d, `${where}.decoders[${i}]`))
        .filter((d): d is Decoder => d !== undefined);
      return (tokens) => parts.reduce((ts, d) => d(ts), tokens);
    }
    case 'ByteLevel':
      return (tokens) => {
        const bytes: number[] = [];
        for (const t of tokens) {
          // A token that is not made of stand-in characters (an added token) contributes its own UTF-8.
          if (!byteCharsToBytes(t, bytes)) for (const b of encodeUtf8(t)) bytes.push(b);
        }
        return [decodeUtf8(bytes)];
      };
    case 'Replace': {
      const re = patternRegex(json.pattern, where);
      const content = stringField(json, 'content', where);
      return (tokens) => tokens.map((t) => t.replace(re, () => content));
    }
    case 'ByteFallback':
      return (tokens) => {
        const out: string[] = [];
        let pending: number[] = [];
        const flush = () => {
          if (pending.length === 0) return;
          const text = decodeStrictUtf8(pending);
          // Invalid bytes give one U+FFFD per byte token, as Hugging Face does.
          if (text === undefined) for (const _ of pending) out.push('\uFFFD');
          else out.push(text);
          pending = [];
        };
        for (const t of tokens) {
          const m = BYTE_TOKEN.exec(t);
          if (m !== null) pending.push(Number.parseInt(m[1]!, 16));
          else {
            flush();
            out.push(t);
          }
        }
        flush();
        return out;
      };
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Strip': {
      const content = stringField(json, 'content', where);
      const start = typeof json.start === 'number' ? json.start : 0;
      const stop = typeof json.stop === 'number' ? json.stop : 0;
      return (tokens) =>
        tokens.map((token) => {
          const chars = [...token];
          let from = 0;
          while (from < start && from < chars.length && chars[from] === content) from++;
          let to = chars.length;
          while (chars.length - to < stop && to > from && chars[to - 1] === content) to--;
          return chars.slice(from, to).join('');
        });
    }
    case 'Metaspace': {
      const replacement = stringField(json, 'replacement', where);
      let scheme: string;
      if (typeof json.prepend_scheme === 'string') scheme = json.prepend_scheme;
      else scheme = boolField(json, 'add_prefix_space', true) ? 'always' : 'never';
      // As in Hugging Face, every metaspace of the first token is dropped when a prefix was prepended.
      return (tokens) =>
        tokens.map((t, i) => t.replaceAll(replacement, i === 0 && scheme !== 'never' ? '' : ' '));
    }
    default:
      return fail(where, `decoder type '${type}' is not supported`);
  }
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function decodeStrictUtf8(bytes: readonly number[]): string | undefined {
  try {
    return strictDecoder.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------- post-processors

/** The special ids a post-processor puts around a single sequence (pair templates are not used here). */
export function buildPostProcessor(value: unknown, where = 'post_processor'): PostProcessor {
  const none: PostProcessor = { prefix: [], suffix: [] };
  if (value === null || value === undefined) return none;
  const json = asObject(value, where);
  const type = typeOf(json, where);
  switch (type) {
    case 'ByteLevel':
      return none; // only trims offsets
    case 'Sequence': {
      const parts = arrayField(json, 'processors', where).map((p, i) =>
        buildPostProcessor(p, `${where}.processors[${i}]`),
      );
      // Later processors wrap the output of earlier ones.
      return parts.reduce<PostProcessor>(
        (acc, p) => ({ prefix: [...p.prefix, ...acc.prefix], suffix: [...acc.suffix, ...p.suffix] }),
        none,
      );
    }
    case 'TemplateProcessing': {
      const single = arrayField(json, 'single', where);
      const specials = asObject(json.special_tokens ?? {}, `${where}.special_tokens`);
      const prefix: number[] = [];
      const suffix: number[] = [];
      let seenSequence = false;
      single.forEach((item, i) => {
        const entry = asObject(item, `${where}.single[${i}]`);
        if (entry.Sequence !== undefined) {
          const seq = asObject(entry.Sequence, `${where}.single[${i}].Sequence`);
          if (seq.id !== 'A')
            fail(`${where}.single[${i}]`, `sequence '${String(seq.id)}' in a single template`);
          if (seenSequence) fail(`${where}.single`, 'the template uses $A twice');
          seenSequence = true;
          return;
        }
        const special = asObject(entry.SpecialToken, `${where}.single[${i}].SpecialToken`);
        const name = stringField(special, 'id', `${where}.single[${i}].SpecialToken`);
        const def = specials[name];
        if (def === undefined) fail(`${where}.special_tokens`, `no entry for ${JSON.stringify(name)}`);
        const ids = arrayField(
          asObject(def, `${where}.special_tokens.${name}`),
          'ids',
          `${where}.special_tokens`,
        );
        for (const id of ids) {
          if (!Number.isInteger(id)) fail(`${where}.special_tokens.${name}`, 'ids must be integers');
          (seenSequence ? suffix : prefix).push(id as number);
        }
      });
      if (!seenSequence) fail(`${where}.single`, 'the template has no $A');
      return { prefix, suffix };
    }
    case 'RobertaProcessing':
    case 'BertProcessing': {
      const pairId = (key: string): number => {
        const v = json[key];
        if (!Array.isArray(v) || typeof v[1] !== 'number') fail(where, `'${key}' must be [token, id]`);
        return v[1];
      };
      return { prefix: [pairId('cls')], suffix: [pairId('sep')] };
    }
    default:
      return fail(where, `post-processor type '${type}' is not supported`);
  }
}
