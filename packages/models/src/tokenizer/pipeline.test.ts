import { LlmeditError, TokenizerError } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BpeTokenizer, fromTokenizerJson } from './bpe-tokenizer.js';
import { BYTE_TO_CHAR } from './byte-level.js';
import { fromGpt2Files } from './loaders.js';
import { splitWithBehavior } from './pipeline.js';
import { compileOnigurumaPattern, convertOnigurumaPattern } from './regex.js';
import { gpt2ReferenceFiles } from './test-support.js';

/** The pre-tokenization pattern of LLaMA-3's tokenizer.json (Qwen2 uses the same with \p{N} single digits). */
const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const matches = (pattern: string, text: string) =>
  [...text.matchAll(compileOnigurumaPattern(pattern))].map((m) => m[0]);

describe('Oniguruma pattern conversion', () => {
  it('expands (?i:...) groups into case classes', () => {
    expect(matches("(?i:'s|'ll)", "it'S we'Ll he's")).toEqual(["'S", "'Ll", "'s"]);
    expect(convertOnigurumaPattern("(?i:'re)")).toBe("(?:'[rR][eE])");
    // Outside the group case matters again.
    expect(matches('(?i:a)b', 'AB Ab ab aB')).toEqual(['Ab', 'ab']);
    expect(matches('(?i)abc', 'ABC aBc')).toEqual(['ABC', 'aBc']);
  });

  it('splits text as LLaMA-3 does', () => {
    expect(matches(LLAMA3_PATTERN, "I'M here 12345 ok!!\n\n  x")).toEqual([
      'I',
      "'M",
      ' here',
      ' ',
      '123',
      '45',
      ' ok',
      '!!\n\n',
      ' ',
      ' x',
    ]);
  });

  it('rejects what JavaScript cannot express, naming the feature', () => {
    const cases: [string, RegExp][] = [
      ['a++', /possessive quantifier/],
      ['(?>ab)', /atomic group/],
      ['\\Aab', /\\A/],
      ['(?m:a.)', /inline flag 'm'/],
      ['(?i:[a-z])', /letter range inside a case-insensitive group/],
      ['[[a]]', /nested character class/],
      ['(ab', /unbalanced/],
      ['\\p{NoSuchProperty}', /cannot be compiled/],
    ];
    for (const [pattern, message] of cases) {
      expect(() => compileOnigurumaPattern(pattern)).toThrow(TokenizerError);
      expect(() => compileOnigurumaPattern(pattern)).toThrow(message);
    }
  });

  it('keeps escapes JavaScript needs and drops those it refuses in u mode', () => {
    expect(matches("\\'s|\\{x\\}", "'s {x}")).toEqual(["'s", '{x}']);
    expect(matches('\\pL+', 'abc 12')).toEqual(['abc']);
    expect(matches('a{2}|{', 'aaa {')).toEqual(['aa', '{']);
  });
});

describe('split behaviours', () => {
  const re = /-/gu;
  it('follows the Hugging Face delimiter behaviours', () => {
    expect(splitWithBehavior('a-b--c', re, 'Removed')).toEqual(['a', 'b', 'c']);
    expect(splitWithBehavior('a-b--c', re, 'Isolated')).toEqual(['a', '-', 'b', '-', '-', 'c']);
    expect(splitWithBehavior('a-b--c', re, 'MergedWithPrevious')).toEqual(['a-', 'b-', '-', 'c']);
    expect(splitWithBehavior('a-b--c', re, 'MergedWithNext')).toEqual(['a', '-b', '-', '-c']);
    expect(splitWithBehavior('a-b--c', re, 'Contiguous')).toEqual(['a', '-', 'b', '--', 'c']);
    expect(splitWithBehavior('a-b', re, 'Isolated', true)).toEqual(['a', '-', 'b']);
    expect(splitWithBehavior('a-b', re, 'Removed', true)).toEqual(['-']);
  });
});

describe('LLaMA-3 / Qwen style byte-level pipelines', () => {
  let gpt2Json: Record<string, unknown>;
  let noRegex: BpeTokenizer;
  beforeAll(() => {
    const files = gpt2ReferenceFiles();
    gpt2Json = fromGpt2Files(files.vocab, files.merges).toJSON() as Record<string, unknown>;
    noRegex = fromTokenizerJson({
      ...gpt2Json,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    });
  });

  it('applies Split(regex) then ByteLevel(use_regex false), a template BOS, and NFC', () => {
    const json = {
      ...gpt2Json,
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: LLAMA3_PATTERN }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: {
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
          {
            type: 'TemplateProcessing',
            single: [
              { SpecialToken: { id: '<|endoftext|>', type_id: 0 } },
              { Sequence: { id: 'A', type_id: 0 } },
            ],
            pair: [],
            special_tokens: {
              '<|endoftext|>': { id: '<|endoftext|>', ids: [50256], tokens: ['<|endoftext|>'] },
            },
          },
        ],
      },
    };
    const tok = fromTokenizerJson(json);
    const text = "I'M here 12345 ok!!\n\n  x";
    const pieces = ['I', "'M", ' here', ' ', '123', '45', ' ok', '!!\n\n', ' ', ' x'];
    const expected = pieces.flatMap((p) => noRegex.encode(p));
    expect(tok.encode(text)).toEqual(expected);
    expect(tok.encode(text, { addSpecialTokens: true })).toEqual([50256, ...expected]);
    expect(tok.decode(tok.encode(text))).toBe(text);
    // NFC: a decomposed é encodes like the composed one.
    expect(tok.encode('caf\u0065\u0301')).toEqual(tok.encode('caf\u00e9'));
  });

  it('adds a prefix space with ByteLevel add_prefix_space, except when encoding a continuation', () => {
    const gpt2 = fromTokenizerJson(gpt2Json);
    const prefixed = fromTokenizerJson({
      ...gpt2Json,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    });
    expect(prefixed.encode('Hello world')).toEqual(gpt2.encode(' Hello world'));
    expect(prefixed.encode(' Hello')).toEqual(gpt2.encode(' Hello'));
    expect(prefixed.encodePair('Hello', 'world').targetIds).toEqual(gpt2.encode(' world'));
  });

  it('honours ignore_merges: a whole word in the vocabulary wins over merges', () => {
    const vocab: Record<string, number> = {};
    BYTE_TO_CHAR.forEach((c, b) => {
      vocab[c] = b;
    });
    vocab.ab = 256;
    vocab.abc = 257;
    const json = (ignoreMerges: boolean) => ({
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
      decoder: { type: 'ByteLevel' },
      model: { type: 'BPE', vocab, merges: ['a b'], ignore_merges: ignoreMerges },
    });
    expect(fromTokenizerJson(json(false)).encode('abc')).toEqual([256, 99]);
    expect(fromTokenizerJson(json(true)).encode('abc')).toEqual([257]);
    expect(fromTokenizerJson(json(true)).encode('abcab')).toEqual([256, 99, 256]);
  });
});

describe('malformed or unsupported tokenizer.json', () => {
  const minimal = () => ({
    added_tokens: [],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false },
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
  });

  it('loads the minimal file', () => {
    expect(fromTokenizerJson(minimal()).encode('ab')).toEqual([2]);
  });

  const cases: [string, (j: ReturnType<typeof minimal>) => unknown, RegExp][] = [
    ['not an object', () => 'tokenizer', /expected a JSON object/],
    ['an array', () => [], /expected a JSON object/],
    ['no model', (j) => ({ ...j, model: undefined }), /missing 'model'/],
    ['WordPiece', (j) => ({ ...j, model: { type: 'WordPiece', vocab: {} } }), /"WordPiece" is not supported/],
    ['Unigram', (j) => ({ ...j, model: { type: 'Unigram', vocab: [] } }), /"Unigram" is not supported/],
    [
      'vocab not an object',
      (j) => ({ ...j, model: { ...j.model, vocab: [1] } }),
      /model.vocab must be an object/,
    ],
    ['fractional id', (j) => ({ ...j, model: { ...j.model, vocab: { a: 0.5 } } }), /non-negative integer/],
    ['duplicate id', (j) => ({ ...j, model: { ...j.model, vocab: { a: 0, b: 0, ab: 2 } } }), /used by both/],
    [
      'merges missing',
      (j) => ({ ...j, model: { ...j.model, merges: undefined } }),
      /merges must be an array/,
    ],
    ['merge with 3 parts', (j) => ({ ...j, model: { ...j.model, merges: ['a b c'] } }), /two tokens/],
    [
      'merge of unknown token',
      (j) => ({ ...j, model: { ...j.model, merges: ['a z'] } }),
      /not in the vocabulary/,
    ],
    ['merge result unknown', (j) => ({ ...j, model: { ...j.model, merges: ['b a'] } }), /"ba", which is not/],
    ['bad merge entry', (j) => ({ ...j, model: { ...j.model, merges: [42] } }), /merges\[0\]/],
    ['unk not in vocab', (j) => ({ ...j, model: { ...j.model, unk_token: '<unk>' } }), /unk_token/],
    [
      'suffix models',
      (j) => ({ ...j, model: { ...j.model, end_of_word_suffix: '</w>' } }),
      /end_of_word_suffix/,
    ],
    [
      'bad added token',
      (j) => ({ ...j, added_tokens: [{ id: 'x', content: 'y' }] }),
      /added_tokens\[0\]\.id/,
    ],
    [
      'unknown pre-tokenizer',
      (j) => ({ ...j, pre_tokenizer: { type: 'BertPreTokenizer' } }),
      /BertPreTokenizer/,
    ],
    ['unknown normalizer', (j) => ({ ...j, normalizer: { type: 'BertNormalizer' } }), /BertNormalizer/],
    ['unknown decoder', (j) => ({ ...j, decoder: { type: 'WordPiece' } }), /decoder type 'WordPiece'/],
    ['untyped component', (j) => ({ ...j, decoder: {} }), /missing 'type'/],
    [
      'bad split regex',
      (j) => ({ ...j, pre_tokenizer: { type: 'Split', pattern: { Regex: 'a++' }, behavior: 'Isolated' } }),
      /possessive/,
    ],
    [
      'bad split behaviour',
      (j) => ({ ...j, pre_tokenizer: { type: 'Split', pattern: { String: ' ' }, behavior: 'Sideways' } }),
      /split behavior/,
    ],
    [
      'template without $A',
      (j) => ({ ...j, post_processor: { type: 'TemplateProcessing', single: [], special_tokens: {} } }),
      /no \$A/,
    ],
  ];
  for (const [name, mutate, message] of cases) {
    it(`throws TokenizerError for ${name}`, () => {
      let error: unknown;
      try {
        fromTokenizerJson(mutate(minimal()));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TokenizerError);
      expect(LlmeditError.isInstance(error) && error.code).toBe('TOKENIZER');
      expect((error as Error).message).toMatch(message);
    });
  }
});
