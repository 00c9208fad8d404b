import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidRequestError, initBackend, type Tensor, type Tensor3D, tf } from '@llmedit/core';
import { generate, type TokenBatch } from '@llmedit/models';
import { loadMicroModel, maxAbsDifference } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRandomVlm,
  loadVlm,
  numImageTokens,
  saveVlm,
  tinyVlmConfig,
  type VisionLanguageModel,
  type VlmConfig,
} from './node.js';

const SIZE = 16;
/** A solid image of one colour with a bright square at (x, y): distinct images give distinct features. */
function image(seed: number) {
  const pixels = new Float32Array(SIZE * SIZE * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = ((i * 7 + seed * 13) % 17) / 17;
  return { width: SIZE, height: SIZE, pixels };
}

let vlm: VisionLanguageModel;
let config: VlmConfig;
const ids = (prompt: string) => vlm.languageModel.requireTokenizer().encode(prompt);

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  const lm = loadMicroModel();
  config = tinyVlmConfig(lm.config);
  vlm = createRandomVlm(config, lm, { seed: 3, resolveImage: (id) => image(Number(id.slice(4))) });
});
afterAll(() => vlm.dispose());

const logitsOf = (batch: TokenBatch, images: Parameters<VisionLanguageModel['forward']>[0]['images']) =>
  tf.tidy(() => vlm.forward({ images, batch }).logits!.arraySync() as number[][][]);

describe('VisionLanguageModel', () => {
  it('puts four patch positions before the text and returns logits of the text positions only', () => {
    expect(numImageTokens(config)).toBe(4);
    const row = ids(' the cat sat');
    const before = tf.memory().numTensors;
    const out = vlm.forward({ images: ['img:1'], batch: { ids: [row], attentionMask: [row.map(() => 1)] } });
    expect(out.logits!.shape).toEqual([1, row.length, config.text.vocabSize]);
    out.logits!.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads the image: two images give different next-token logits, the same image the same ones', () => {
    const row = ids(' a');
    const batch = { ids: [row], attentionMask: [[1]] };
    const a = logitsOf(batch, ['img:1']);
    const b = logitsOf(batch, ['img:2']);
    const again = logitsOf(batch, ['img:1']);
    expect(again).toEqual(a);
    expect(maxAbsDifference(a.flat(2), b.flat(2))).toBeGreaterThan(1e-5);
  });

  it('batches rows with their own images and left padding exactly as each row alone', () => {
    const short = ids(' a');
    const long = ids(' the cat sat');
    const pad = long.length - short.length;
    const batch = {
      ids: [[...new Array<number>(pad).fill(0), ...short], long],
      attentionMask: [[...new Array<number>(pad).fill(0), ...short.map(() => 1)], long.map(() => 1)],
    };
    const together = logitsOf(batch, ['img:1', 'img:2']);
    const alone0 = logitsOf({ ids: [short], attentionMask: [short.map(() => 1)] }, ['img:1']);
    const alone1 = logitsOf({ ids: [long], attentionMask: [long.map(() => 1)] }, ['img:2']);
    expect(maxAbsDifference(together[0]!.slice(pad).flat(), alone0[0]!.flat())).toBeLessThan(1e-4);
    expect(maxAbsDifference(together[1]!.flat(), alone1[0]!.flat())).toBeLessThan(1e-4);
  });

  it('gives text methods a CausalLM view: hooks see text positions, positions selections shift, weights are shared', () => {
    const view = vlm.withImage('img:1');
    const row = ids(' the cat sat');
    const batch = { ids: [row], attentionMask: [row.map(() => 1)] };
    const point = view.layout.mlpOut(1);
    const before = tf.memory().numTensors;
    const captured = view.forward(batch, {
      hooks: [{ point, capture: true }],
      logits: { positions: [[0, 1]] },
    });
    expect(captured.captured[point.key]!.shape).toEqual([1, row.length, view.layout.hiddenSize]);
    const all = view.forward(batch);
    const picked = tf.tidy(() => tf.slice(all.logits as Tensor3D, [0, 1, 0], [1, 1, -1]).reshape([1, -1]));
    expect(maxAbsDifference(picked.dataSync(), (captured.logits as Tensor).dataSync())).toBe(0);
    // A replace hook on the text positions changes the output; the image positions are left alone.
    const zeroed = view.forward(batch, { hooks: [{ point, replace: (x) => tf.zerosLike(x) }] });
    expect(
      maxAbsDifference((zeroed.logits as Tensor).dataSync(), (all.logits as Tensor).dataSync()),
    ).toBeGreaterThan(0);
    tf.dispose([captured.logits!, captured.captured[point.key]!, all.logits!, picked, zeroed.logits!]);
    expect(tf.memory().numTensors).toBe(before);
    expect(view.modelId).not.toBe(vlm.withImage('img:2').modelId);
    expect(view.weight('transformer.h.0.mlp.c_proj.weight')).toBe(
      vlm.weight('language_model.transformer.h.0.mlp.c_proj.weight'),
    );
    expect(vlm.withImage(undefined)).toBe(vlm.languageModel);
  });

  it('generates the same tokens with and without the KV cache (the cache holds the image)', () => {
    const view = vlm.withImage('img:2');
    const cached = generate(view, [' the'], { maxNewTokens: 5, stopAtEos: false });
    const uncached = generate(view, [' the'], { maxNewTokens: 5, stopAtEos: false, useCache: false });
    expect(cached[0]!.ids).toEqual(uncached[0]!.ids);
  });

  it('passes gradients to the projector and the vision tower, and vision hooks capture and replace', () => {
    const row = ids(' the cat');
    const batch = { ids: [row], attentionMask: [row.map(() => 1)] };
    const names = [
      'multi_modal_projector.linear_2.weight',
      'vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight',
    ];
    const { grads, value } = tf.variableGrads(
      () => tf.mean(vlm.forward({ images: ['img:1'], batch }).logits as Tensor).asScalar(),
      names.map((n) => vlm.weight(n)),
    );
    for (const g of Object.values(grads))
      expect(tf.tidy(() => tf.max(tf.abs(g)).arraySync()) as number).toBeGreaterThan(0);
    tf.dispose([...Object.values(grads), value]);
    const out = vlm.forward(
      { images: ['img:1'], batch },
      {
        visionHooks: [
          { key: 'projector.out', capture: true },
          { key: 'vision.residual.0', capture: true },
        ],
      },
    );
    expect(out.captured['projector.out']!.shape).toEqual([1, 4, config.text.hiddenSize]);
    expect(out.captured['vision.residual.0']!.shape).toEqual([1, 5, 16]);
    tf.dispose([out.logits!, ...Object.values(out.captured)]);
  });

  it('restores vision and language weights bit for bit from one snapshot', () => {
    const names = ['multi_modal_projector.linear_1.bias', 'language_model.transformer.h.1.mlp.c_proj.bias'];
    const before = names.map((n) => Array.from(vlm.weight(n).dataSync()));
    const snapshot = vlm.snapshotWeights(names);
    for (const n of names)
      vlm.setWeight(
        n,
        tf.tidy(() => tf.add(vlm.weight(n), 1)),
      );
    snapshot.restore();
    snapshot.dispose();
    expect(names.map((n) => Array.from(vlm.weight(n).dataSync()))).toEqual(before);
  });

  it('rejects images of the wrong size, unknown identifiers and a wrong image count with typed errors', () => {
    const batch = { ids: [[5], [6]], attentionMask: [[1], [1]] };
    expect(() =>
      vlm.forward({ images: [{ width: 8, height: 8, pixels: new Float32Array(192) }], batch }),
    ).toThrow(InvalidRequestError);
    expect(() => vlm.forward({ images: ['img:1', 'img:2', 'img:3'], batch })).toThrow(/3 images for 2 rows/);
    const blind = createRandomVlm(config, vlm.languageModel);
    expect(() => blind.withImage('img:1')).toThrow(/no image resolver/);
  });

  it('saves and loads a LLaVA-layout folder that gives the same logits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlm-'));
    try {
      await saveVlm(vlm, dir);
      const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(json.model_type).toBe('llava');
      expect(json.vision_config.model_type).toBe('clip_vision_model');
      expect(json.text_config.model_type).toBe('gpt2');
      const loaded = loadVlm(dir, { resolveImage: (id) => image(Number(id.slice(4))) });
      expect(loaded.weightNames()).toContain('language_model.transformer.wte.weight');
      expect(loaded.weightNames()).toContain('vision_tower.vision_model.embeddings.patch_embedding.weight');
      expect(loaded.modelId).toBe(vlm.modelId);
      const row = ids(' the cat');
      const batch = { ids: [row], attentionMask: [row.map(() => 1)] };
      const a = logitsOf(batch, ['img:2']);
      const b = tf.tidy(
        () => loaded.forward({ images: ['img:2'], batch }).logits!.arraySync() as number[][][],
      );
      expect(b).toEqual(a);
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
