import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenizerError } from '@llmedit/core';
import { type BpeTokenizer, fromTokenizerJson } from './bpe-tokenizer.js';
import type { SpecialTokenOverrides } from './types.js';

const GPT2_EOS = '<|endoftext|>';

/** The tokenizer.json description of GPT-2's byte-level pipeline around a given vocabulary and merges. */
export function byteLevelTokenizerJson(
  vocab: Record<string, number>,
  merges: readonly (readonly [string, string])[],
  addedTokens: readonly { id: number; content: string }[],
): Record<string, unknown> {
  const byteLevel = (addPrefixSpace: boolean, trimOffsets: boolean) => ({
    type: 'ByteLevel',
    add_prefix_space: addPrefixSpace,
    trim_offsets: trimOffsets,
    use_regex: true,
  });
  // Space-separated merges are the classic form; pairs are needed only when a token contains a space.
  const needsPairs = merges.some(([a, b]) => a.includes(' ') || b.includes(' '));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens.map(({ id, content }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel(false, true),
    post_processor: byteLevel(true, false),
    decoder: byteLevel(true, true),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: needsPairs ? merges.map(([a, b]) => [a, b]) : merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** Parses GPT-2's merges.txt: an optional `#version` header, then one "a b" pair per line. */
export function parseMergesText(text: string): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new TokenizerError(
        `merges.txt line ${i + 1}: ${JSON.stringify(line)} is not two tokens separated by one space`,
      );
    }
    merges.push([parts[0]!, parts[1]!]);
  });
  return merges;
}

/** A GPT-2 style tokenizer from vocab.json (token -> id) and merges.txt. `<|endoftext|>` is bos, eos and special. */
export function fromGpt2Files(vocabJson: Record<string, number>, mergesText: string): BpeTokenizer {
  if (typeof vocabJson !== 'object' || vocabJson === null || Array.isArray(vocabJson)) {
    throw new TokenizerError('vocab.json must be an object mapping tokens to ids');
  }
  const eos = vocabJson[GPT2_EOS];
  const added = typeof eos === 'number' ? [{ id: eos, content: GPT2_EOS }] : [];
  return fromTokenizerJson(byteLevelTokenizerJson(vocabJson, parseMergesText(mergesText), added));
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TokenizerError(`${file}: cannot be read: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizerError(`${file}: invalid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** A special token entry of tokenizer_config.json / special_tokens_map.json: a string, {content}, or null. */
function specialEntry(value: unknown): string | null | undefined {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { content?: unknown }).content === 'string'
  ) {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** bos/eos/pad named by special_tokens_map.json, then tokenizer_config.json (which wins). */
function readSpecialTokenFiles(dir: string): SpecialTokenOverrides {
  const result: { bosToken?: string | null; eosToken?: string | null; padToken?: string | null } = {};
  for (const name of ['special_tokens_map.json', 'tokenizer_config.json']) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    const json = readJson(file);
    if (typeof json !== 'object' || json === null)
      throw new TokenizerError(`${file}: expected a JSON object`);
    const record = json as Record<string, unknown>;
    for (const [key, field] of [
      ['bos_token', 'bosToken'],
      ['eos_token', 'eosToken'],
      ['pad_token', 'padToken'],
    ] as const) {
      if (!(key in record)) continue;
      const value = specialEntry(record[key]);
      if (value !== undefined) result[field] = value;
    }
  }
  return result;
}

/**
 * Loads the tokenizer of a Hugging Face model folder: tokenizer.json if present, else vocab.json +
 * merges.txt. bos/eos/pad come from tokenizer_config.json / special_tokens_map.json when present (a
 * named token missing from the vocabulary is ignored there, since such configs often list unused roles).
 */
export function loadTokenizer(dir: string): BpeTokenizer {
  const overrides = readSpecialTokenFiles(dir);
  const withOverrides = (base: BpeTokenizer): BpeTokenizer => {
    const usable: { bosToken?: string | null; eosToken?: string | null; padToken?: string | null } = {};
    for (const key of ['bosToken', 'eosToken', 'padToken'] as const) {
      const v = overrides[key];
      if (v === null || (v !== undefined && base.tokenToId(v) !== undefined)) usable[key] = v;
    }
    return Object.keys(usable).length === 0 ? base : base.withSpecialTokens(usable);
  };
  const tokenizerJson = join(dir, 'tokenizer.json');
  if (existsSync(tokenizerJson)) {
    const json = readJson(tokenizerJson);
    try {
      return withOverrides(fromTokenizerJson(json));
    } catch (error) {
      if (error instanceof TokenizerError)
        throw new TokenizerError(`${tokenizerJson}: ${error.message}`, { cause: error });
      throw error;
    }
  }
  const vocabFile = join(dir, 'vocab.json');
  const mergesFile = join(dir, 'merges.txt');
  if (existsSync(vocabFile) && existsSync(mergesFile)) {
    const vocab = readJson(vocabFile) as Record<string, number>;
    let merges: string;
    try {
      merges = readFileSync(mergesFile, 'utf8');
    } catch (error) {
      throw new TokenizerError(`${mergesFile}: cannot be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return withOverrides(fromGpt2Files(vocab, merges));
  }
  throw new TokenizerError(
    `No tokenizer found in ${dir}: looked for tokenizer.json, or vocab.json together with merges.txt`,
  );
}
