import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, tf } from '@llmedit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noisyWeights, tinyGpt2, useWasm } from '../test/fixtures.js';
import { createModel } from './create.js';
import { saveModel } from './load.js';
import { type FetchLike, fileUrl, loadModelFrom } from './load-url.js';
import { trainByteLevelBpe } from './tokenizer/index.js';

beforeAll(useWasm);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fetch that serves `dir` at http://models.test/m/ (404 for a missing file), recording the URLs asked for. */
function folderFetch(dir: string, asked: string[] = []): FetchLike {
  return async (url) => {
    asked.push(url);
    const prefix = 'http://models.test/m/';
    let bytes: Uint8Array | undefined;
    try {
      bytes = url.startsWith(prefix)
        ? new Uint8Array(readFileSync(join(dir, url.slice(prefix.length))))
        : undefined;
    } catch {
      bytes = undefined;
    }
    return {
      ok: bytes !== undefined,
      status: bytes === undefined ? 404 : 200,
      arrayBuffer: async () => (bytes ?? new Uint8Array()).slice().buffer,
      text: async () => new TextDecoder().decode(bytes),
    };
  };
}

describe('loadModelFrom', () => {
  const tokenizer = trainByteLevelBpe(
    ['The Eiffel Tower is located in Paris.', 'Danielle Darrieux speaks French.'],
    {
      vocabSize: 280,
      specialTokens: ['<|endoftext|>'],
    },
  );
  const config = { ...tinyGpt2, vocabSize: tokenizer.vocabSize };

  it.each([
    ['one file', undefined],
    ['shards', 2000],
  ] as const)('loads a saved folder over fetch bit-exactly (%s)', async (_name, maxShardBytes) => {
    const dir = mkdtempSync(join(tmpdir(), 'llmedit-load-url-'));
    dirs.push(dir);
    const model = createModel(config, noisyWeights(config, 5), tokenizer);
    await saveModel(model, dir, maxShardBytes === undefined ? {} : { maxShardBytes });
    const before = tf.memory().numTensors;
    const loaded = await loadModelFrom('http://models.test/m', { fetch: folderFetch(dir) });
    expect(loaded.modelId).toBe(model.modelId);
    expect(loaded.tokenizer?.encode('Danielle Darrieux speaks')).toEqual(
      tokenizer.encode('Danielle Darrieux speaks'),
    );
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('names the missing file in a CheckpointError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmedit-load-url-'));
    dirs.push(dir);
    const load = loadModelFrom('http://models.test/m/', { fetch: folderFetch(dir) });
    await expect(load).rejects.toThrow(CheckpointError);
    await expect(load).rejects.toThrow('http://models.test/m/config.json: model config not found (HTTP 404)');
  });

  it('resolves file names against a folder URL with or without its trailing slash', () => {
    expect(fileUrl('http://a.test/x/default', 'config.json')).toBe('http://a.test/x/default/config.json');
    expect(fileUrl(new URL('http://a.test/x/default/'), 'stats/a.npz')).toBe(
      'http://a.test/x/default/stats/a.npz',
    );
  });
});
