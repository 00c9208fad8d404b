import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, tf } from '@llmedit/core';
import type { CausalLM, FetchLike } from '@llmedit/models';
import { checkpointDir, loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_STATS } from './checkpoint-stats.js';
import { clearLayerStatsMemory, LayerStatsError, layerStats, loadLayerStatsFrom } from './layer-stats.js';

const statsDir = join(checkpointDir('default'), 'stats');

/** Serves the default checkpoint's stats folder at http://page.test/stats/ (404 for anything else). */
const folderFetch: FetchLike = async (url) => {
  const prefix = 'http://page.test/stats/';
  let bytes: Uint8Array | undefined;
  try {
    bytes = url.startsWith(prefix)
      ? new Uint8Array(readFileSync(join(statsDir, url.slice(prefix.length))))
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

let model: CausalLM;
beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
  model = loadPretrained('default');
});
afterAll(() => {
  model.dispose();
  clearLayerStatsMemory();
});

describe("the default checkpoint's shipped layer statistics", () => {
  it('belong to the committed default model (rerun `pnpm --filter @llmedit/locate checkpoint-stats` after training)', () => {
    const manifest = JSON.parse(readFileSync(join(statsDir, 'manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest).toEqual({
      modelId: model.modelId,
      ...CHECKPOINT_STATS,
      layers: [...CHECKPOINT_STATS.layers],
    });
  });

  it('load over fetch into memory, where the memory-only layerStats (a browser) then finds them', async () => {
    clearLayerStatsMemory();
    // Without them a browser has no corpus to compute from, and says so.
    await expect(layerStats(model, [0], { cacheDir: false })).rejects.toThrow(LayerStatsError);
    const before = tf.memory().numTensors;
    const loaded = await loadLayerStatsFrom(model, 'http://page.test/stats', CHECKPOINT_STATS.layers, {
      fetch: folderFetch,
    });
    expect([...loaded.keys()]).toEqual([0, 1, 2]);
    const dim = model.layout.mlpKeySize;
    for (const stats of loaded.values()) {
      expect(stats).toMatchObject({ dim, source: 'file' });
      expect(stats.count).toBeGreaterThan(0);
      // E[k k^T] has a positive diagonal.
      expect(stats.mom2[0]).toBeGreaterThan(0);
    }
    const found = await layerStats(model, [0, 1, 2], { samples: CHECKPOINT_STATS.samples });
    expect([...found.values()].map((s) => s.source)).toEqual(['memory', 'memory', 'memory']);
    expect(found.get(2)?.mom2).toEqual(loaded.get(2)?.mom2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leave out a layer whose file is not served', async () => {
    const loaded = await loadLayerStatsFrom(model, 'http://page.test/stats/', [3], { fetch: folderFetch });
    expect(loaded.size).toBe(0);
  });
});
