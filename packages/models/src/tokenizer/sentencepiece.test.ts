import { describe, expect, it } from 'vitest';
import { byteFallbackToken } from './bpe-model.js';
import { fromTokenizerJson } from './bpe-tokenizer.js';

/** A LLaMA-2-shaped tokenizer.json built by hand: <unk>/<s>/</s>, 256 byte tokens, a few ▁ pieces. */
function llamaStyleJson(
  options: { mergesAsPairs?: boolean; extraMergesFirst?: string[]; byteFallback?: boolean } = {},
) {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[byteFallbackToken(b)] = 3 + b;
  const pieces = [
    '▁',
    'h',
    'e',
    'l',
    'o',
    'w',
    'r',
    'd',
    'a',
    't',
    'x',
    'll',
    '▁h',
    'ell',
    '▁hell',
    '▁hello',
  ];
  pieces.push('or', '▁w', '▁wor', 'o▁');
  let next = 259;
  for (const p of pieces) vocab[p] = next++;
  const merges = [
    ...(options.extraMergesFirst ?? []),
    'l l',
    '▁ h',
    'e ll',
    '▁h ell',
    '▁hell o',
    'o r',
    '▁ w',
    '▁w or',
  ];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 0,
        content: '<unk>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
      {
        id: 1,
        content: '<s>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
      {
        id: 2,
        content: '</s>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: options.byteFallback ?? true,
      vocab,
      merges: options.mergesAsPairs === true ? merges.map((m) => m.split(' ')) : merges,
    },
  };
}

describe('SentencePiece-style BPE (LLaMA-2 layout)', () => {
  const tok = fromTokenizerJson(llamaStyleJson());
  const id = (t: string) => tok.tokenToId(t)!;

  it('reads bos/eos from the template and conventional names; no pad', () => {
    expect(tok.vocabSize).toBe(259 + 20);
    expect(tok.bosTokenId).toBe(1);
    expect(tok.eosTokenId).toBe(2);
    expect(tok.padTokenId).toBeUndefined();
  });

  it('encodes with a dummy prefix and ranked merges (hand-derived)', () => {
    // ▁ h e l l o ▁ w o r l d -> (l l) -> (▁ h) -> (e ll) -> (▁h ell) -> (▁hell o) -> (o r) -> (▁ w) -> (▁w or)
    expect(tok.encode('hello world')).toEqual([id('▁hello'), id('▁wor'), id('l'), id('d')]);
    expect(tok.encode('hello world', { addSpecialTokens: true })).toEqual([
      1,
      id('▁hello'),
      id('▁wor'),
      id('l'),
      id('d'),
    ]);
    expect(tok.encode('hell')).toEqual([id('▁hell')]);
    expect(tok.encode('')).toEqual([]);
    expect(tok.encode('', { addSpecialTokens: true })).toEqual([1]);
  });

  it('falls back to <0xXX> byte tokens for characters outside the vocabulary', () => {
    // "é" is C3 A9 in UTF-8; "🤖" is F0 9F A4 96.
    expect(tok.encode('hé')).toEqual([id('▁h'), id('<0xC3>'), id('<0xA9>')]);
    expect(tok.encode('🤖')).toEqual([id('▁'), id('<0xF0>'), id('<0x9F>'), id('<0xA4>'), id('<0x96>')]);
    expect(tok.decode(tok.encode('hé 🤖 world'))).toBe('hé 🤖 world');
    // An incomplete byte sequence decodes to one U+FFFD per byte token, as Hugging Face does.
    expect(tok.decode([id('▁h'), id('<0xC3>')])).toBe('h\uFFFD');
  });

  it('uses (fused) <unk> when byte fallback is off', () => {
    const noFallback = fromTokenizerJson(llamaStyleJson({ byteFallback: false }));
    expect(noFallback.encode('hé')).toEqual([id('▁h'), 0]);
    expect(noFallback.encode('hééé')).toEqual([id('▁h'), 0]);
    expect(noFallback.encode('éhé')).toEqual([id('▁'), 0, id('h'), 0]);
  });

  it('round-trips text and handles spaces like SentencePiece', () => {
    for (const s of ['hello world', ' hello', 'hello  world', 'what  a\ttrue\nword', 'x', 'wörld 😀 ✓']) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    expect(tok.encode('hello  world')).toEqual([id('▁hello'), id('▁'), id('▁wor'), id('l'), id('d')]);
  });

  it('cuts special tokens out of the text before the normalizer runs', () => {
    expect(tok.encode('hello</s>')).toEqual([id('▁hello'), 2]);
    // Each stretch between special tokens gets its own dummy prefix (Hugging Face legacy behaviour).
    expect(tok.encode('<s>hello')).toEqual([1, id('▁hello')]);
    expect(tok.decode([1, id('▁hello'), 2])).toBe('<s> hello</s>');
    expect(tok.decode([1, id('▁hello'), 2], { skipSpecialTokens: true })).toBe('hello');
  });

  it('accepts merges as pairs (newer format) with identical results', () => {
    const pairs = fromTokenizerJson(llamaStyleJson({ mergesAsPairs: true }));
    for (const s of ['hello world', 'hé', 'what a world']) expect(pairs.encode(s)).toEqual(tok.encode(s));
    const json = pairs.toJSON() as { model: { merges: unknown[] } };
    expect(json.model.merges[0]).toEqual(['l', 'l']);
    expect(fromTokenizerJson(json).encode('hello world')).toEqual(tok.encode('hello world'));
  });

  it('reads the Metaspace pre-tokenizer/decoder layout the same way', () => {
    const json = llamaStyleJson() as Record<string, unknown>;
    json.normalizer = null;
    json.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false };
    json.decoder = {
      type: 'Sequence',
      decoders: [
        { type: 'ByteFallback' },
        { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
      ],
    };
    const meta = fromTokenizerJson(json);
    for (const s of ['hello world', 'hé', 'hello  world', 'world hello']) {
      expect(meta.encode(s)).toEqual(tok.encode(s));
      expect(meta.decode(meta.encode(s))).toBe(s);
    }
    // prepend_scheme 'first': no metaspace after a leading special token.
    expect(meta.encode('<s>hello')).toEqual([1, id('h'), id('ell'), id('o')]);
  });

  it('encodePair splits at the ▁ boundary', () => {
    const { promptIds, targetIds } = tok.encodePair('hello', 'world');
    expect(promptIds).toEqual([id('▁hello')]);
    expect(targetIds).toEqual([id('▁wor'), id('l'), id('d')]);
    expect(tok.encodePair('hello ', 'world')).toEqual({ promptIds, targetIds });
    expect(tok.encodePair('hello', 'world', { addSpecialTokens: true })).toEqual({
      promptIds: [1, id('▁hello')],
      targetIds,
    });
  });

  it('encodePair falls back to separate encodings when a merge crosses the boundary', () => {
    // With "o ▁" ranked first, "hello world" becomes ▁hell, o▁, w, or, l, d: "o▁" straddles the boundary.
    const crossing = fromTokenizerJson(llamaStyleJson({ extraMergesFirst: ['o ▁'] }));
    const cid = (t: string) => crossing.tokenToId(t)!;
    expect(crossing.encode('hello world')).toEqual([
      cid('▁hell'),
      cid('o▁'),
      cid('w'),
      cid('or'),
      cid('l'),
      cid('d'),
    ]);
    const { promptIds, targetIds } = crossing.encodePair('hello', 'world');
    expect(promptIds).toEqual([cid('▁hello')]);
    // The target is encoded as a continuation: no dummy prefix, its space is the ▁.
    expect(targetIds).toEqual([cid('▁wor'), cid('l'), cid('d')]);
    expect(crossing.decode([...promptIds, ...targetIds])).toBe('hello world');
  });
});
