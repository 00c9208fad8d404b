import { TokenizerError } from '@llmedit/core';
import { BpeModel } from './bpe-model.js';
import {
  buildDecoder,
  buildNormalizer,
  buildPostProcessor,
  buildPreTokenizer,
  type Decoder,
  type Normalizer,
  type PostProcessor,
  type PreTokenizer,
  type SegmentContext,
} from './pipeline.js';
import { escapeRegex } from './regex.js';
import type { DecodeOptions, EncodeOptions, SpecialTokenOverrides, Tokenizer } from './types.js';

type Json = Record<string, unknown>;

export interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
}

/** The parsed pieces of a tokenizer.json (built by `fromTokenizerJson`). */
export interface BpeTokenizerParts {
  /** The file without model.vocab and model.merges (rebuilt from the model by toJSON). */
  readonly json: Json;
  readonly mergesAsPairs: boolean;
  readonly model: BpeModel;
  readonly added: readonly AddedToken[];
  readonly normalizer: Normalizer | undefined;
  readonly preTokenizer: PreTokenizer | undefined;
  readonly decoder: Decoder | undefined;
  readonly postProcessor: PostProcessor;
}

// Conventional names, tried in order when nothing says which token plays the role.
const BOS_NAMES = ['<s>', '<|begin_of_text|>', '<|startoftext|>', '<bos>', '<|endoftext|>'];
const EOS_NAMES = ['</s>', '<|end_of_text|>', '<|endoftext|>', '<eos>', '<|im_end|>'];
const PAD_NAMES = ['<pad>', '<|pad|>', '[PAD]'];

/**
 * A BPE tokenizer described by a Hugging Face tokenizer.json: byte-level (GPT-2, LLaMA-3, Qwen) or
 * SentencePiece-style with byte fallback (LLaMA-2). Build one with `fromTokenizerJson`, `fromGpt2Files`,
 * `loadTokenizer` or `trainByteLevelBpe`.
 */
export class BpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  private readonly json: Json;
  private readonly model: BpeModel;
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly addedById = new Map<number, AddedToken>();
  private readonly specialIds = new Set<number>();
  private readonly addedRegex: RegExp | undefined;
  private readonly normalizer: Normalizer | undefined;
  private readonly preTokenizer: PreTokenizer | undefined;
  private readonly decoder: Decoder | undefined;
  private readonly postProcessor: PostProcessor;
  private readonly parts: BpeTokenizerParts;

  /** Use `fromTokenizerJson`. */
  constructor(parts: BpeTokenizerParts, overrides: SpecialTokenOverrides = {}) {
    this.parts = parts;
    this.json = parts.json;
    this.model = parts.model;
    this.normalizer = parts.normalizer;
    this.preTokenizer = parts.preTokenizer;
    this.decoder = parts.decoder;
    this.postProcessor = parts.postProcessor;
    let maxId = parts.model.maxId;
    for (const token of parts.added) {
      this.addedByContent.set(token.content, token);
      this.addedById.set(token.id, token);
      if (token.special) this.specialIds.add(token.id);
      if (token.id > maxId) maxId = token.id;
    }
    this.vocabSize = maxId + 1;
    const contents = [...this.addedByContent.keys()].filter((c) => c.length > 0);
    // Longest first, so that a token that is a prefix of another never wins.
    contents.sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.addedRegex = contents.length > 0 ? new RegExp(contents.map(escapeRegex).join('|'), 'gu') : undefined;

    const pp = this.postProcessor;
    this.bosTokenId = this.resolveSpecial(
      'bos',
      overrides.bosToken,
      pp.prefix.length === 1 ? pp.prefix[0] : undefined,
      BOS_NAMES,
    );
    this.eosTokenId = this.resolveSpecial('eos', overrides.eosToken, undefined, EOS_NAMES);
    const padding = this.json.padding;
    let padFromFile: number | undefined;
    if (typeof padding === 'object' && padding !== null) {
      const p = padding as Json;
      if (typeof p.pad_token === 'string') padFromFile = this.tokenToId(p.pad_token);
      if (padFromFile === undefined && typeof p.pad_id === 'number') padFromFile = p.pad_id;
    }
    this.padTokenId = this.resolveSpecial('pad', overrides.padToken, padFromFile, PAD_NAMES);
  }

  private resolveSpecial(
    role: string,
    override: string | null | undefined,
    fromFile: number | undefined,
    names: readonly string[],
  ): number | undefined {
    if (override === null) return undefined;
    if (override !== undefined) {
      const id = this.tokenToId(override);
      if (id === undefined)
        throw new TokenizerError(`${role}_token ${JSON.stringify(override)} is not in the vocabulary`);
      return id;
    }
    if (fromFile !== undefined) return fromFile;
    for (const name of names) {
      const id = this.tokenToId(name);
      if (id !== undefined) return id;
    }
    return undefined;
  }

  /** The same tokenizer with bos/eos/pad named explicitly (null: none; undefined: keep inferring). */
  withSpecialTokens(overrides: SpecialTokenOverrides): BpeTokenizer {
    return new BpeTokenizer(this.parts, overrides);
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken(id);
  }

  /** Whether `id` is a special added token (skipped by `decode(..., { skipSpecialTokens: true })`). */
  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.encodeText(text, false);
    if (options.addSpecialTokens !== true) return ids;
    return [...this.postProcessor.prefix, ...ids, ...this.postProcessor.suffix];
  }

  /** Added tokens are cut out first; each stretch of text between them goes through the whole pipeline. */
  private encodeText(text: string, continuation: boolean): number[] {
    const out: number[] = [];
    if (this.addedRegex === undefined) {
      this.encodeSegment(text, { atStart: true, continuation }, out);
      return out;
    }
    let last = 0;
    for (const m of text.matchAll(this.addedRegex)) {
      if (m.index > last)
        this.encodeSegment(text.slice(last, m.index), { atStart: last === 0, continuation }, out);
      out.push(this.addedByContent.get(m[0])!.id);
      last = m.index + m[0].length;
    }
    if (last < text.length) this.encodeSegment(text.slice(last), { atStart: last === 0, continuation }, out);
    return out;
  }

  private encodeSegment(text: string, ctx: SegmentContext, out: number[]): void {
    if (text.length === 0) return;
    const normalized = this.normalizer === undefined ? text : this.normalizer(text, ctx);
    if (normalized.length === 0) return;
    const pieces = this.preTokenizer === undefined ? [normalized] : this.preTokenizer([normalized], ctx);
    for (const piece of pieces) {
      const ids = this.model.tokenize(piece);
      for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
    }
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens === true;
    const tokens: string[] = [];
    for (const id of ids) {
      if (skip && this.specialIds.has(id)) continue;
      // Ids outside the vocabulary (a padded embedding matrix) are skipped, as Hugging Face does.
      const token = this.idToToken(id);
      if (token !== undefined) tokens.push(token);
    }
    if (this.decoder === undefined) return tokens.join(' ');
    return this.decoder(tokens).join('');
  }

  encodePair(
    prompt: string,
    target: string,
    options: EncodeOptions = {},
  ): { promptIds: number[]; targetIds: number[] } {
    const needsSpace = prompt.length > 0 && target.length > 0 && !/\s$/u.test(prompt) && !/^\s/u.test(target);
    const sep = needsSpace ? ' ' : '';
    const ids = this.encodeText(prompt + sep + target, false);
    const split = this.promptBoundary(ids, prompt);
    let promptIds: number[];
    let targetIds: number[];
    if (split !== undefined) {
      promptIds = ids.slice(0, split);
      targetIds = ids.slice(split);
    } else {
      // A merge crosses into the prompt's text: tokenize the two sides apart (still decodes to the same text).
      promptIds = this.encodeText(prompt, false);
      targetIds = this.encodeText(sep + target, true);
    }
    if (options.addSpecialTokens === true) {
      promptIds = [...this.postProcessor.prefix, ...promptIds];
      targetIds = [...targetIds, ...this.postProcessor.suffix];
    }
    return { promptIds, targetIds };
  }

  /**
   * The k such that ids[0:k] decodes to exactly `prompt`; failing that, the largest k whose decoding is
   * `prompt` less some trailing whitespace (that whitespace then belongs to the target's first token, as
   * in " Paris"); undefined when a token mixes prompt text and target text.
   */
  private promptBoundary(ids: readonly number[], prompt: string): number | undefined {
    let best: number | undefined;
    let bestText = '';
    for (let k = 0; k <= ids.length; k++) {
      const text = this.decode(ids.slice(0, k));
      if (text === prompt) return k;
      // A prefix may end inside a multi-byte character; its U+FFFD tail is not a mismatch yet.
      const clean = text.replace(/\uFFFD+$/u, '');
      if (!prompt.startsWith(clean)) break;
      if (clean.length === text.length) {
        best = k;
        bestText = text;
      }
    }
    if (best !== undefined && /^\s+$/u.test(prompt.slice(bestText.length))) return best;
    return undefined;
  }

  toJSON(): object {
    const json = structuredClone(this.json);
    const vocab: Record<string, number> = {};
    for (const [token, id] of this.model.vocab) vocab[token] = id;
    const merges = this.parts.mergesAsPairs
      ? this.model.merges.map(([a, b]) => [a, b])
      : this.model.merges.map(([a, b]) => `${a} ${b}`);
    json.model = { ...(json.model as Json), vocab, merges };
    return json;
  }
}

// ---------------------------------------------------------------------------------------------- parsing

function fail(message: string): never {
  throw new TokenizerError(`tokenizer.json: ${message}`);
}

function parseMerges(value: unknown): [string, string][] {
  if (!Array.isArray(value)) fail('model.merges must be an array');
  return value.map((m, i): [string, string] => {
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        fail(`model.merges[${i}] ${JSON.stringify(m)} is not two tokens separated by one space`);
      }
      return [parts[0]!, parts[1]!];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')
      return [m[0], m[1]];
    return fail(`model.merges[${i}] must be "a b" or ["a", "b"]`);
  });
}

function parseVocab(value: unknown): Map<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('model.vocab must be an object');
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(value)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      fail(`model.vocab[${JSON.stringify(token)}] must be a non-negative integer`);
    }
    vocab.set(token, id);
  }
  return vocab;
}

function parseAddedTokens(value: unknown): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('added_tokens must be an array');
  return value.map((t, i) => {
    if (typeof t !== 'object' || t === null) fail(`added_tokens[${i}] must be an object`);
    const { id, content, special } = t as Json;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      fail(`added_tokens[${i}].id must be an integer`);
    if (typeof content !== 'string' || content.length === 0)
      fail(`added_tokens[${i}].content must be a string`);
    return { id, content, special: special === true };
  });
}

function optionalString(model: Json, key: string): string | undefined {
  const v = model[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`model.${key} must be a string or null`);
  return v;
}

/**
 * Reads a Hugging Face tokenizer.json (already parsed). Supports model.type 'BPE' with a ByteLevel
 * pipeline or a SentencePiece-style one (Prepend/Replace normalizer or Metaspace, byte fallback).
 * `overrides` name bos/eos/pad explicitly (as tokenizer_config.json does); otherwise they are inferred.
 */
export function fromTokenizerJson(json: unknown, overrides: SpecialTokenOverrides = {}): BpeTokenizer {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected a JSON object');
  const root = json as Json;
  if (typeof root.model !== 'object' || root.model === null) fail("missing 'model'");
  const model = root.model as Json;
  // Old files leave the type out; Hugging Face then recognises BPE by its merges.
  const type = model.type ?? (model.merges !== undefined ? 'BPE' : undefined);
  if (type !== 'BPE') {
    fail(
      `model type ${JSON.stringify(type ?? null)} is not supported: only BPE tokenizers (byte-level, as GPT-2, ` +
        'LLaMA-3 and Qwen use, or SentencePiece-style, as LLaMA-2 uses) are implemented',
    );
  }
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix']) {
    const v = optionalString(model, key);
    if (v !== undefined && v !== '') fail(`model.${key} ${JSON.stringify(v)} is not supported`);
  }
  const bpe = new BpeModel({
    vocab: parseVocab(model.vocab),
    merges: parseMerges(model.merges),
    unkToken: optionalString(model, 'unk_token'),
    byteFallback: model.byte_fallback === true,
    fuseUnk: model.fuse_unk === true,
    ignoreMerges: model.ignore_merges === true,
  });
  // Copy everything but the (large) vocabulary and merges, which toJSON rebuilds from the model.
  const { vocab: _vocab, merges: _merges, ...modelRest } = model;
  const parts: BpeTokenizerParts = {
    json: structuredClone({ ...root, model: modelRest }),
    mergesAsPairs: Array.isArray(model.merges) && model.merges.length > 0 && Array.isArray(model.merges[0]),
    model: bpe,
    added: parseAddedTokens(root.added_tokens),
    normalizer: buildNormalizer(root.normalizer),
    preTokenizer: buildPreTokenizer(root.pre_tokenizer),
    decoder: buildDecoder(root.decoder),
    postProcessor: buildPostProcessor(root.post_processor),
  };
  return new BpeTokenizer(parts, overrides);
}
