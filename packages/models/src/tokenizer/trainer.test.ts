import { TokenizerError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { fromTokenizerJson } from './bpe-tokenizer.js';
import { generatedStrings } from './test-strings.js';
import { COUNTERFACT_STRINGS, englishCorpus } from './test-support.js';
import { trainByteLevelBpe } from './trainer.js';

type TokenizerJson = {
  added_tokens: { id: number; content: string; special: boolean }[];
  pre_tokenizer: { type: string; add_prefix_space: boolean };
  decoder: { type: string };
  model: { type: string; vocab: Record<string, number>; merges: string[] };
};

describe('trainByteLevelBpe', () => {
  it('learns the most frequent pairs first (hand-derived) and stops at minFrequency', () => {
    // Words: "ab" x1, " ab" x2, "abc" x1. Pairs: (a,b)=4, (Ġ,a)=2, (b,c)=1 -> merge "a b";
    // then (Ġ,ab)=2, (ab,c)=1 -> merge "Ġ ab"; then (ab,c)=1 < minFrequency 2 -> stop.
    const tok = trainByteLevelBpe(['ab ab ab', 'abc'], { vocabSize: 300 });
    const json = tok.toJSON() as TokenizerJson;
    expect(json.model.merges).toEqual(['a b', 'Ġ ab']);
    expect(tok.vocabSize).toBe(258);
    expect(tok.encode('ab ab abc')).toEqual([256, 257, 257, 99]);
    expect(tok.tokenToId('a')).toBe(97); // byte b has id b when there are no special tokens
  });

  it('breaks count ties by the smaller pair of ids', () => {
    const tok = trainByteLevelBpe(['zw', 'xy'], { vocabSize: 257, minFrequency: 1 });
    expect((tok.toJSON() as TokenizerJson).model.merges).toEqual(['x y']);
  });

  const corpus = [...COUNTERFACT_STRINGS, ...generatedStrings(300, 7)];

  it('respects the vocabulary size, puts special tokens first and never learns them', () => {
    const tok = trainByteLevelBpe(corpus, { vocabSize: 600, specialTokens: ['<|endoftext|>', '<pad>'] });
    expect(tok.vocabSize).toBe(600);
    expect(tok.idToToken(0)).toBe('<|endoftext|>');
    expect(tok.idToToken(1)).toBe('<pad>');
    expect(tok.eosTokenId).toBe(0);
    expect(tok.bosTokenId).toBe(0);
    expect(tok.padTokenId).toBe(1);
    expect(tok.encode('a<|endoftext|>b<pad>')).toEqual([tok.tokenToId('a'), 0, tok.tokenToId('b'), 1]);
    expect(tok.decode(tok.encode('a<|endoftext|>b'), { skipSpecialTokens: true })).toBe('ab');
  });

  it('is deterministic and round-trips through a valid tokenizer.json', () => {
    const options = { vocabSize: 500, specialTokens: ['<|endoftext|>'] };
    const a = trainByteLevelBpe(corpus, options);
    const b = trainByteLevelBpe([...corpus], options);
    const json = a.toJSON() as TokenizerJson;
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(json));
    expect(json.model.type).toBe('BPE');
    expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false });
    expect(json.decoder.type).toBe('ByteLevel');
    expect(json.added_tokens).toEqual([
      expect.objectContaining({ id: 0, content: '<|endoftext|>', special: true }),
    ]);
    expect(Object.keys(json.model.vocab)).toHaveLength(500);

    const loaded = fromTokenizerJson(JSON.parse(JSON.stringify(json)));
    expect(loaded.toJSON()).toEqual(json);
    expect(loaded.vocabSize).toBe(a.vocabSize);
    expect(loaded.eosTokenId).toBe(a.eosTokenId);
    for (const s of corpus.slice(0, 200)) expect(loaded.encode(s)).toEqual(a.encode(s));
  });

  it('decodes every encoding back to the text, including characters never seen in training', () => {
    const tok = trainByteLevelBpe(COUNTERFACT_STRINGS, { vocabSize: 400 });
    for (const s of [...generatedStrings(200, 3), '日本語 🤖 ẞ', ''])
      expect(tok.decode(tok.encode(s))).toBe(s);
    // Merges shorten text: learned tokens cover more than one byte on the training text.
    const text = COUNTERFACT_STRINGS.join(' ');
    expect(tok.encode(text).length).toBeLessThan(new TextEncoder().encode(text).length * 0.6);
  });

  it('validates its options', () => {
    expect(() => trainByteLevelBpe(['x'], { vocabSize: 255 })).toThrow(TokenizerError);
    expect(() => trainByteLevelBpe(['x'], { vocabSize: 256, specialTokens: ['<s>'] })).toThrow(/vocabSize/);
    expect(() => trainByteLevelBpe(['x'], { vocabSize: 300, specialTokens: ['<s>', '<s>'] })).toThrow(
      /distinct/,
    );
    expect(() => trainByteLevelBpe(['x'], { vocabSize: 300, specialTokens: ['a'] })).toThrow(/byte token/);
    expect(() => trainByteLevelBpe(['x'], { vocabSize: 300, minFrequency: 0 })).toThrow(/minFrequency/);
  });

  // Speed is reported, not asserted: timing targets belong in benchmarks, not in tests on a shared machine.
  it('trains a 4,096-token vocabulary on ~1.5 MB', () => {
    const { text, source } = englishCorpus(1_500_000);
    const texts = text.split(/(?<=[.?!]) /);
    const start = performance.now();
    const tok = trainByteLevelBpe(texts, { vocabSize: 4096, specialTokens: ['<|endoftext|>'] });
    const ms = performance.now() - start;
    console.info(`BPE training: 1.5 MB (${source}), vocab ${tok.vocabSize}, ${ms.toFixed(0)} ms`);
    expect(tok.vocabSize).toBe(4096);
    const sample = text.slice(0, 20_000);
    expect(tok.decode(tok.encode(sample))).toBe(sample);
  });
});
