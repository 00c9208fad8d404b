import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, ShapeMismatchError, tf, UnsupportedModelError } from '@llmedit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noisyWeights, tinyGpt2, tinyLlama, useWasm } from '../test/fixtures.js';
import { padBatch } from './batching.js';
import { writeCheckpointWeights } from './checkpoint/node.js';
import { toHfConfig } from './config.js';
import { createModel } from './create.js';
import { loadModel, saveModel } from './load.js';
import { scoreTargets } from './score.js';
import { trainByteLevelBpe } from './tokenizer/index.js';

beforeAll(useWasm);
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmedit-load-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const texts = [
  'The Eiffel Tower is located in Paris.',
  'Danielle Darrieux speaks French.',
  'Toko Yasuda plays the guitar.',
];

describe.each([
  ['gpt2', tinyGpt2],
  ['llama', tinyLlama],
] as const)('%s checkpoints', (_name, baseConfig) => {
  const tokenizer = trainByteLevelBpe(texts, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  const config = { ...baseConfig, vocabSize: tokenizer.vocabSize };

  it('save then load is bit-exact (weights, hash, logits, tokenizer), sharded or not', async () => {
    const model = createModel(config, noisyWeights(config, 11), tokenizer);
    for (const maxShardBytes of [undefined, 20_000]) {
      const dir = tempDir();
      await saveModel(model, dir, maxShardBytes === undefined ? {} : { maxShardBytes });
      const loaded = loadModel(dir);
      expect(loaded.modelId).toBe(model.modelId);
      for (const name of model.weightNames()) {
        expect(Buffer.from(loaded.weight(name).dataSync().buffer)).toEqual(
          Buffer.from(model.weight(name).dataSync().buffer),
        );
      }
      expect(loaded.requireTokenizer().encode(texts[0]!)).toEqual(tokenizer.encode(texts[0]!));
      const a = scoreTargets(model, [{ prompt: 'The Eiffel Tower is located in', target: 'Paris' }]);
      const b = scoreTargets(loaded, [{ prompt: 'The Eiffel Tower is located in', target: 'Paris' }]);
      expect(b).toEqual(a);
      loaded.dispose();
    }
    model.dispose();
  });

  it('rejects missing, unexpected and mis-shaped tensors with typed errors', () => {
    const weights = noisyWeights(config, 12);
    const [firstName] = weights.keys();
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(config)));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));

    const missing = new Map(weights);
    missing.delete(firstName!);
    writeCheckpointWeights(dir, missing);
    expect(() => loadModel(dir)).toThrow(CheckpointError);
    expect(() => loadModel(dir)).toThrow(firstName!);

    const extra = new Map(weights);
    extra.set('model.something_else.weight', { shape: [2], data: new Float32Array(2) });
    writeCheckpointWeights(dir, extra);
    expect(() => loadModel(dir)).toThrow(/something_else/);

    const misshaped = new Map(weights);
    misshaped.set(firstName!, { shape: [3], data: new Float32Array(3) });
    writeCheckpointWeights(dir, misshaped);
    expect(() => loadModel(dir)).toThrow(ShapeMismatchError);
  });
});

describe('config.json and tokenizer invariants', () => {
  const gpt2Json = toHfConfig(tinyGpt2);
  const llamaJson = toHfConfig(tinyLlama);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['heads that do not divide the width', { ...gpt2Json, n_head: 3 }, /'n_head' must divide n_embd \(32\)/],
    ['zero heads', { ...gpt2Json, n_head: 0 }, /'n_head' must be a positive integer, got 0/],
    ['negative layers', { ...gpt2Json, n_layer: -1 }, /'n_layer' must be a positive integer/],
    ['a fractional vocabulary', { ...gpt2Json, vocab_size: 52.5 }, /'vocab_size' must be a positive integer/],
    [
      'a negative epsilon',
      { ...gpt2Json, layer_norm_epsilon: -1 },
      /'layer_norm_epsilon' must be a positive/,
    ],
    ['a zero n_inner', { ...gpt2Json, n_inner: 0 }, /'n_inner' must be a positive integer/],
    [
      'an eos id outside the vocabulary',
      { ...gpt2Json, eos_token_id: 53 },
      /'eos_token_id' must be a token id below/,
    ],
    [
      'KV heads that do not divide the heads',
      { ...llamaJson, num_key_value_heads: 3 },
      /'num_key_value_heads' must divide/,
    ],
    ['a zero RMS epsilon', { ...llamaJson, rms_norm_eps: 0 }, /'rms_norm_eps' must be a positive/],
    ['a negative rope base', { ...llamaJson, rope_theta: -5 }, /'rope_theta' must be a positive/],
    ['an odd head size', { ...llamaJson, head_dim: 7 }, /'head_dim' must be even/],
  ];
  it.each(cases)('rejects %s with UnsupportedModelError naming the key', async (_name, json, message) => {
    const { parseHfConfig } = await import('./config.js');
    expect(() => parseHfConfig(json)).toThrow(UnsupportedModelError);
    expect(() => parseHfConfig(json)).toThrow(message);
  });

  it('rejects a config object that breaks an invariant in createModel too', () => {
    expect(() => createModel({ ...tinyGpt2, numHeads: 3 }, noisyWeights(tinyGpt2, 1))).toThrow(
      UnsupportedModelError,
    );
  });

  it('rejects a tokenizer larger than vocab_size before any forward', () => {
    const tokenizer = trainByteLevelBpe(texts, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
    const config = { ...tinyGpt2, vocabSize: tokenizer.vocabSize - 1 };
    const before = tf.memory().numTensors;
    expect(() => createModel(config, noisyWeights(config, 2), tokenizer, 'folder')).toThrow(
      /folder: the tokenizer has \d+ tokens but config.json vocab_size is \d+/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects non-finite weights when asked to (checkFinite)', async () => {
    const tokenizer = trainByteLevelBpe(texts, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
    const config = { ...tinyGpt2, vocabSize: tokenizer.vocabSize };
    const weights = noisyWeights(config, 3);
    const [name, tensor] = [...weights][2]!;
    tensor.data[5] = Number.NaN;
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(config)));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
    writeCheckpointWeights(dir, weights);
    expect(() => loadModel(dir, { checkFinite: true })).toThrow(`[tensor '${name}']: weight 5 is NaN`);
    const unchecked = loadModel(dir);
    unchecked.dispose();
  });
});

describe('model construction', () => {
  it('accepts GPT-2 names without the transformer. prefix and ignores attention buffers', () => {
    const weights = noisyWeights(tinyGpt2, 13);
    const hfStyle = new Map([...weights].map(([name, t]) => [name.replace(/^transformer\./, ''), t]));
    hfStyle.set('h.0.attn.bias', { shape: [1], data: new Float32Array(1) });
    const a = createModel(tinyGpt2, weights);
    const b = createModel(tinyGpt2, hfStyle);
    expect(b.modelId).toBe(a.modelId);
    a.dispose();
    b.dispose();
  });

  it('frees every tensor when disposed', () => {
    const before = tf.memory().numTensors;
    const model = createModel(tinyLlama, noisyWeights(tinyLlama, 14));
    const { logits } = model.forward(padBatch([[1, 2, 3]], 0));
    logits!.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects unsupported configs with a typed error', async () => {
    const { parseHfConfig } = await import('./config.js');
    expect(() => parseHfConfig({ model_type: 'bert' })).toThrow(UnsupportedModelError);
    expect(() => parseHfConfig({ model_type: 'gpt2', n_embd: 'big' })).toThrow(/n_embd/);
  });
});
