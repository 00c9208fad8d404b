// Loading the tokenizer of a model folder from disk (Node only; the package's `node` entry exports it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenizerError } from '@llmedit/core';
import type { BpeTokenizer } from './bpe-tokenizer.js';
import { fromTokenizerJson } from './bpe-tokenizer.js';
import { fromGpt2Files } from './loaders.js';
import type { SpecialTokenOverrides } from './types.js';

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
