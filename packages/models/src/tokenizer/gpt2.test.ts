import { createRequire } from 'node:module';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BpeTokenizer } from './bpe-tokenizer.js';
import { fromTokenizerJson } from './bpe-tokenizer.js';
import { fromGpt2Files } from './loaders.js';
import { generatedStrings } from './test-strings.js';
import { COUNTERFACT_STRINGS, englishCorpus, gpt2ReferenceFiles } from './test-support.js';

const require = createRequire(import.meta.url);
const gpt3Encoder = require('gpt-3-encoder') as { encode(text: string): number[] };

let gpt2: BpeTokenizer;
let tiktoken: Tiktoken;

beforeAll(() => {
  const files = gpt2ReferenceFiles();
  gpt2 = fromGpt2Files(files.vocab, files.merges);
  tiktoken = new Tiktoken(gpt2Ranks);
});

/** js-tiktoken's gpt2 (r50k) encoding, with no special-token parsing. */
const reference = (text: string) => tiktoken.encode(text, [], []);

describe('GPT-2 byte-level BPE', () => {
  const strings = [...generatedStrings(400), ...COUNTERFACT_STRINGS];

  it('has the GPT-2 vocabulary and special tokens', () => {
    expect(gpt2.vocabSize).toBe(50257);
    expect(gpt2.eosTokenId).toBe(50256);
    expect(gpt2.bosTokenId).toBe(50256);
    expect(gpt2.padTokenId).toBeUndefined();
    expect(gpt2.idToToken(50256)).toBe('<|endoftext|>');
    expect(gpt2.tokenToId('Ġthe')).toBe(262);
    expect(gpt2.tokenToId('not a token')).toBeUndefined();
    expect(gpt2.idToToken(60000)).toBeUndefined();
  });

  it(`matches js-tiktoken and gpt-3-encoder exactly on ${strings.length} strings`, () => {
    expect(strings.length).toBeGreaterThanOrEqual(570);
    const mismatches: string[] = [];
    let referencesDisagree = 0;
    for (const s of strings) {
      const ours = gpt2.encode(s);
      const tk = reference(s);
      if (JSON.stringify(gpt3Encoder.encode(s)) !== JSON.stringify(tk)) referencesDisagree++;
      if (JSON.stringify(ours) !== JSON.stringify(tk)) mismatches.push(JSON.stringify(s));
    }
    expect(mismatches).toEqual([]);
    // On ordinary text (no special-token strings) the two references agree with each other too.
    expect(referencesDisagree).toBe(0);
  });

  it('decodes every encoding back to the original string', () => {
    for (const s of strings) expect(gpt2.decode(gpt2.encode(s))).toBe(s);
  });

  it('matches the reference on long words (the heap merge path) and on hand-known ids', () => {
    for (const s of ['x'.repeat(1000), 'abc'.repeat(300), `${'🤖'.repeat(100)}z`, 'ab'.repeat(500)]) {
      expect(gpt2.encode(s)).toEqual(reference(s));
    }
    expect(gpt2.encode('Hello world')).toEqual([15496, 995]);
    expect(gpt2.encode('The capital of France is Paris')).toEqual([464, 3139, 286, 4881, 318, 6342]);
    expect(gpt2.encode('')).toEqual([]);
  });

  it('treats <|endoftext|> as a special token (as Hugging Face and tiktoken with specials allowed do)', () => {
    // gpt-3-encoder has no notion of special tokens and spells it out in 7 pieces: the one known deviation.
    expect(gpt3Encoder.encode('<|endoftext|>')).toHaveLength(7);
    expect(gpt2.encode('x<|endoftext|>y')).toEqual(tiktoken.encode('x<|endoftext|>y', 'all'));
    expect(gpt2.encode('a <|endoftext|> b')).toEqual([64, 220, 50256, 275]);
    expect(gpt2.decode([64, 50256, 65])).toBe('a<|endoftext|>b');
    expect(gpt2.decode([64, 50256, 275], { skipSpecialTokens: true })).toBe('a b');
    // GPT-2 has no template post-processor: addSpecialTokens adds nothing.
    expect(gpt2.encode('Hello world', { addSpecialTokens: true })).toEqual([15496, 995]);
  });

  it('decodes partial UTF-8 to U+FFFD and skips ids outside the vocabulary', () => {
    const ids = gpt2.encode('🤖');
    expect(ids.length).toBeGreaterThan(1);
    expect(gpt2.decode(ids.slice(0, 1))).toContain('\uFFFD');
    expect(gpt2.decode([...gpt2.encode('ok'), 99999])).toBe('ok');
  });

  it('encodes a lone surrogate as U+FFFD, as UTF-8 encoders do', () => {
    expect(gpt2.encode('a\ud800b')).toEqual(gpt2.encode('a\ufffdb'));
    expect(gpt2.decode(gpt2.encode('a\ud800b'))).toBe('a\ufffdb');
  });

  it('survives a toJSON round trip unchanged', () => {
    const json = gpt2.toJSON() as { model: { type: string; merges: unknown[] }; added_tokens: unknown[] };
    expect(json.model.type).toBe('BPE');
    expect(json.model.merges).toHaveLength(50000);
    const again = fromTokenizerJson(JSON.parse(JSON.stringify(json)));
    expect(again.toJSON()).toEqual(json);
    for (const s of strings.slice(0, 60)) expect(again.encode(s)).toEqual(gpt2.encode(s));
    expect(again.eosTokenId).toBe(50256);
  });
});

describe('encodePair on GPT-2', () => {
  it('splits prompt and target at the space, the target keeping its leading space', () => {
    const { promptIds, targetIds } = gpt2.encodePair('The capital of France is', 'Paris');
    expect(targetIds).toEqual(gpt2.encode(' Paris'));
    expect([...promptIds, ...targetIds]).toEqual(gpt2.encode('The capital of France is Paris'));
    expect(promptIds).toEqual(gpt2.encode('The capital of France is'));
  });

  it('never doubles the space: a trailing prompt space or leading target space is the separator', () => {
    const plain = gpt2.encodePair('The capital of France is', 'Paris');
    // The prompt's trailing space goes into the target's first token (" Paris"), as the model reads it.
    expect(gpt2.encodePair('The capital of France is ', 'Paris')).toEqual(plain);
    expect(gpt2.encodePair('The capital of France is', ' Paris')).toEqual(plain);
    // Two trailing spaces: the first stays a prompt token, the second joins the target.
    const two = gpt2.encodePair('is  ', 'Paris');
    expect([...two.promptIds, ...two.targetIds]).toEqual(gpt2.encode('is  Paris'));
    expect(two.targetIds).toEqual(gpt2.encode(' Paris'));
    expect(gpt2.decode(two.promptIds)).toBe('is ');
  });

  it('keeps a prompt-final newline in the prompt', () => {
    const { promptIds, targetIds } = gpt2.encodePair('Question: capital of France?\nAnswer:\n', 'Paris');
    expect(gpt2.decode(promptIds)).toBe('Question: capital of France?\nAnswer:\n');
    expect(gpt2.decode(targetIds)).toBe('Paris');
  });

  it('gives faithful splits with no straddling token on CounterFact prompts and multi-token targets', () => {
    const cases: [string, string][] = [
      ['Howard Glacier is located in', 'Europe'],
      ['A Marañón Week is annually held since 1990. Howard Glacier is in', 'Antarctica'],
      ['Halıcıoğlu is within', 'İstanbul Province'],
      ['The emoji for robot is', '🤖🤖'],
      ['Numbers:', '12345'],
      ['', 'Paris'],
      ['Paris', ''],
    ];
    for (const [prompt, target] of cases) {
      const { promptIds, targetIds } = gpt2.encodePair(prompt, target);
      const joined = prompt.length > 0 && target.length > 0 ? `${prompt} ${target}` : prompt + target;
      expect([...promptIds, ...targetIds]).toEqual(gpt2.encode(joined));
      expect(gpt2.decode(promptIds)).toBe(prompt);
      expect(gpt2.decode(targetIds)).toBe(joined.slice(prompt.length));
    }
  });

  it('moves prompt-final whitespace that merges with the target into the target', () => {
    // "a\n" + "\n\nb" is "a\n\n\nb": GPT-2 makes "a", "\n\n", "\n", "b", so the first "\n\n" straddles.
    const { promptIds, targetIds } = gpt2.encodePair('a\n', '\n\nb');
    expect([...promptIds, ...targetIds]).toEqual(gpt2.encode('a\n\n\nb'));
    expect(gpt2.decode(promptIds)).toBe('a');
    expect(gpt2.decode(targetIds)).toBe('\n\n\nb');
  });
});

// Speed is reported, not asserted (timing targets belong in benchmarks); the result must still be exact.
describe('GPT-2 encoding of a large text', () => {
  it('encodes 1 MB of English text exactly like the reference', () => {
    const { text, source } = englishCorpus(1_000_000);
    const fresh = fromTokenizerJson(gpt2.toJSON()); // empty word cache
    const start = performance.now();
    const ids = fresh.encode(text);
    const ms = performance.now() - start;
    console.info(`GPT-2 encode: 1 MB (${source}) -> ${ids.length} tokens in ${ms.toFixed(0)} ms`);
    expect(ids).toEqual(reference(text));
  });
});
