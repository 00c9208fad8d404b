// Tokenizers from file contents the caller has read or fetched (no file system: browser-safe).
import { TokenizerError } from '@llmedit/core';
import { type BpeTokenizer, fromTokenizerJson } from './bpe-tokenizer.js';

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
