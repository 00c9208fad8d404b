import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenizerError } from '@llmedit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from './load-folder.js';
import { fromGpt2Files } from './loaders.js';
import { COUNTERFACT_STRINGS, gpt2ReferenceFiles } from './test-support.js';
import { trainByteLevelBpe } from './trainer.js';

const dirs: string[] = [];
function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'llmedit-tok-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('fromGpt2Files', () => {
  const vocab = { a: 0, b: 1, c: 2, ab: 3, abc: 4 };

  it('skips the #version header and blank lines', () => {
    const tok = fromGpt2Files(vocab, '#version: 0.2\na b\n\nab c\n');
    expect(tok.encode('abc')).toEqual([4]);
    expect(tok.encode('ab')).toEqual([3]);
    expect(tok.eosTokenId).toBeUndefined();
    expect(tok.bosTokenId).toBeUndefined();
  });

  it('rejects malformed merges with the line number', () => {
    expect(() => fromGpt2Files(vocab, '#version: 0.2\na b\nab  c')).toThrow(TokenizerError);
    expect(() => fromGpt2Files(vocab, '#version: 0.2\na b\nab  c')).toThrow(/line 3/);
    expect(() => fromGpt2Files(vocab, 'a q')).toThrow(/not in the vocabulary/);
  });
});

describe('loadTokenizer', () => {
  it('reads vocab.json + merges.txt (GPT-2 layout)', () => {
    const ref = gpt2ReferenceFiles();
    const dir = tempDir();
    copyFileSync(join(ref.dir, 'encoder.json'), join(dir, 'vocab.json'));
    copyFileSync(join(ref.dir, 'vocab.bpe'), join(dir, 'merges.txt'));
    const tok = loadTokenizer(dir);
    expect(tok.encode('The capital of France is Paris')).toEqual([464, 3139, 286, 4881, 318, 6342]);
    expect(tok.eosTokenId).toBe(50256);
  });

  it('reads tokenizer.json and takes bos/eos/pad from tokenizer_config.json / special_tokens_map.json', () => {
    const trained = trainByteLevelBpe(COUNTERFACT_STRINGS, {
      vocabSize: 300,
      specialTokens: ['<|endoftext|>', '<s>', '</s>', '<pad>', '<mask>'],
    });
    const tokenizerJson = JSON.stringify(trained.toJSON());
    // Inferred from names alone.
    const plain = loadTokenizer(tempDir({ 'tokenizer.json': tokenizerJson }));
    expect([plain.bosTokenId, plain.eosTokenId, plain.padTokenId]).toEqual([1, 2, 3]);
    expect(plain.encode('abc a')).toEqual(trained.encode('abc a'));

    const configured = loadTokenizer(
      tempDir({
        'tokenizer.json': tokenizerJson,
        'special_tokens_map.json': JSON.stringify({ pad_token: '<mask>', eos_token: '<s>' }),
        'tokenizer_config.json': JSON.stringify({
          bos_token: { content: '<|endoftext|>', lstrip: false, __type: 'AddedToken' },
          eos_token: '<|endoftext|>',
          unk_token: null,
        }),
      }),
    );
    // tokenizer_config.json wins over special_tokens_map.json; the map still supplies pad.
    expect([configured.bosTokenId, configured.eosTokenId, configured.padTokenId]).toEqual([0, 0, 4]);

    const explicitNone = loadTokenizer(
      tempDir({
        'tokenizer.json': tokenizerJson,
        'tokenizer_config.json': JSON.stringify({ bos_token: null, pad_token: '<not-in-vocab>' }),
      }),
    );
    // null means "none"; a token the vocabulary lacks is ignored (inference stays).
    expect([explicitNone.bosTokenId, explicitNone.eosTokenId, explicitNone.padTokenId]).toEqual([
      undefined,
      2,
      3,
    ]);
  });

  it('says what it looked for when a folder has no tokenizer', () => {
    const dir = tempDir({ 'vocab.json': '{}' });
    expect(() => loadTokenizer(dir)).toThrow(TokenizerError);
    expect(() => loadTokenizer(dir)).toThrow(/tokenizer\.json.*vocab\.json.*merges\.txt/);
  });

  it('names the file when tokenizer.json is invalid or unsupported', () => {
    const broken = tempDir({ 'tokenizer.json': '{"model": ' });
    expect(() => loadTokenizer(broken)).toThrow(TokenizerError);
    expect(() => loadTokenizer(broken)).toThrow(/tokenizer\.json: invalid JSON/);
    const wordPiece = tempDir({
      'tokenizer.json': JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }),
    });
    expect(() => loadTokenizer(wordPiece)).toThrow(/tokenizer\.json: .*"WordPiece" is not supported/);
  });
});
