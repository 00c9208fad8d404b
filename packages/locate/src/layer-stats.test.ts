import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_DIR_ENV_VAR, tf } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { microModel } from '../test/micro.js';
import { captureAt } from './capture.js';
import {
  clearLayerStatsMemory,
  decodeLayerStats,
  encodeLayerStats,
  LayerStatsError,
  secondMomentFactor,
} from './layer-stats.js';
import { defaultStatsDir, layerStats, layerStatsPath } from './layer-stats-node.js';

let model: CausalLM;
let dir: string;
const texts = [
  'Satyajit Ray speaks English',
  'The Eiffel Tower is in Paris',
  'Joe Walsh, the guitarist',
  'Go',
];

beforeAll(async () => {
  model = await microModel();
  dir = await mkdtemp(join(tmpdir(), 'llmedit-stats-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** E[k k^T] over every token of the texts, from captured keys, in float64. */
function expectedMoment(layer: number): Float64Array {
  const tokenizer = model.requireTokenizer();
  const prompts = texts.flatMap((text) => {
    const ids = tokenizer.encode(text);
    return ids.map((_, position) => ({ ids, position }));
  });
  const point = model.layout.mlpKey(layer);
  const keys = captureAt(model, prompts, [point]).get(point.key) as Float32Array;
  const d = point.width;
  const out = new Float64Array(d * d);
  for (let r = 0; r < prompts.length; r++)
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        out[i * d + j] =
          (out[i * d + j] as number) + (keys[r * d + i] as number) * (keys[r * d + j] as number);
      }
  return out.map((v) => v / prompts.length);
}

describe('layer statistics', () => {
  it("computes E[k k^T] for several layers in one pass and caches it in ROME's layout", async () => {
    clearLayerStatsMemory();
    const before = tf.memory().numTensors;
    const stats = await layerStats(model, [0, 1], { texts, samples: 4, cacheDir: dir, maxBatchTokens: 16 });
    expect(tf.memory().numTensors).toBe(before);
    const tokens = texts.reduce((s, t) => s + model.requireTokenizer().encode(t).length, 0);
    for (const layer of [0, 1]) {
      const s = stats.get(layer);
      if (s === undefined) throw new Error('missing');
      expect(s.source).toBe('computed');
      expect(s.count).toBe(tokens);
      expect(s.dim).toBe(model.layout.mlpKeySize);
      const expected = expectedMoment(layer);
      let maxRelative = 0;
      s.mom2.forEach((value, i) => {
        maxRelative = Math.max(
          maxRelative,
          Math.abs(value - (expected[i] as number)) / (1e-3 + Math.abs(expected[i] as number)),
        );
      });
      expect(maxRelative).toBeLessThan(1e-4);
      const path = layerStatsPath(
        dir,
        model.modelId,
        'llmedit-corpus',
        `transformer.h.${layer}.mlp.c_proj`,
        4,
      );
      expect(s.path).toBe(path);
      expect(existsSync(path)).toBe(true);
    }
    const again = await layerStats(model, [1], { texts, samples: 4, cacheDir: dir });
    expect(again.get(1)?.source).toBe('memory');
    clearLayerStatsMemory();
    const fromFile = await layerStats(model, [1], { texts: () => [], samples: 4, cacheDir: dir });
    expect(fromFile.get(1)?.source).toBe('file');
    expect(Array.from(fromFile.get(1)?.mom2 ?? [])).toEqual(Array.from(stats.get(1)?.mom2 ?? []));
  });

  it('solves with C through a cached Cholesky factor', async () => {
    const stats = (await layerStats(model, [0], { texts, samples: 4, cacheDir: false })).get(0);
    if (stats === undefined) throw new Error('missing');
    // Few tokens: C is singular, so the factor needs a diagonal shift; it is reused for the same matrix.
    const factor = secondMomentFactor(stats);
    expect(secondMomentFactor(stats)).toBe(factor);
    const k = Float64Array.from({ length: stats.dim }, (_, i) => Math.cos(i));
    const x = factor.solve(k);
    for (let i = 0; i < stats.dim; i += 17) {
      let row = factor.shift * (x[i] as number);
      for (let j = 0; j < stats.dim; j++) row += (stats.mom2[i * stats.dim + j] as number) * (x[j] as number);
      expect(row).toBeCloseTo(k[i] as number, 4);
    }
  });

  it("reads EasyEdit's .npz statistics and rejects files that do not fit", async () => {
    const fixture = new Uint8Array(
      readFileSync(new URL('../test/fixtures/rome-stats-deflate.npz', import.meta.url)),
    );
    const decoded = decodeLayerStats(fixture, 'fixture');
    expect(decoded.count).toBe(5);
    expect(decoded.mom2[0]).toBeCloseTo(1, 6);
    expect(decoded.mom2[1]).toBeCloseTo(1.4285715 / 5, 6);
    expect(() => decodeLayerStats(fixture, 'fixture', 4)).toThrow(LayerStatsError);
    expect(() => decodeLayerStats(new Uint8Array(30), 'junk')).toThrow(/junk/);
    const bytes = encodeLayerStats({ dim: 3, count: 5, mom2: decoded.mom2 });
    expect(decodeLayerStats(bytes).mom2[4]).toBeCloseTo(decoded.mom2[4] as number, 6);
    // A user's file at the expected path is used as it is, and a wrong width is reported with its path.
    const path = layerStatsPath(dir, 'user-model', 'wikipedia', 'transformer.h.0.mlp.c_proj', 100000);
    await rm(join(dir, 'user-model'), { recursive: true, force: true });
    await mkdir(join(dir, 'user-model', 'wikipedia_stats'), { recursive: true });
    await writeFile(path, fixture);
    clearLayerStatsMemory();
    await expect(
      layerStats(model, [0], { cacheDir: dir, modelName: 'user-model', dataset: 'wikipedia' }),
    ).rejects.toThrow(/width 128/);
  });

  it("defaults the folder to the user's cache folder ($LLMEDIT_CACHE_DIR, else XDG, else home), never the cwd", () => {
    const names = [CACHE_DIR_ENV_VAR, 'XDG_CACHE_HOME', 'HOME'] as const;
    const saved = names.map((name) => process.env[name]);
    try {
      process.env[CACHE_DIR_ENV_VAR] = dir;
      expect(defaultStatsDir()).toBe(join(dir, 'stats'));
      delete process.env[CACHE_DIR_ENV_VAR];
      process.env.XDG_CACHE_HOME = join(dir, 'xdg');
      expect(defaultStatsDir()).toBe(join(dir, 'xdg', 'llmedit', 'stats'));
      delete process.env.XDG_CACHE_HOME;
      process.env.HOME = join(dir, 'home');
      expect(defaultStatsDir()).toBe(join(dir, 'home', '.cache', 'llmedit', 'stats'));
    } finally {
      names.forEach((name, i) => {
        if (saved[i] === undefined) delete process.env[name];
        else process.env[name] = saved[i];
      });
    }
  });

  it('reports progress during a computed pass, and none when the statistics come from the cache', async () => {
    const calls: [number, number][] = [];
    const docs = ['one short text', 'another short text', 'a third one here'];
    clearLayerStatsMemory();
    const options = { cacheDir: dir, modelName: 'progress-model', texts: docs, maxBatchTokens: 8 };
    await layerStats(model, [0], { ...options, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.at(-1)).toEqual([docs.length, docs.length]);
    clearLayerStatsMemory();
    const again: [number, number][] = [];
    const stats = await layerStats(model, [0], { ...options, onProgress: (d, t) => again.push([d, t]) });
    expect(stats.get(0)?.source).toBe('file');
    expect(again).toEqual([]);
  });
});
