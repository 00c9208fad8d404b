// Writes the layer statistics a browser page needs to edit the committed default model with ROME and MEMIT
// (their preset layers 0, 1, 2; 100,000 samples, i.e. the whole default corpus) into the checkpoint folder,
// `packages/pretrained/checkpoints/default/stats/`, in ROME's layout, with a manifest naming the model they
// belong to. A page has neither the corpus's dataset files nor a cache folder, so it cannot compute them
// cheaply (half a minute of wasm per pass); `loadLayerStatsFrom` reads these files.
// Run: pnpm --filter @llmedit/locate checkpoint-stats
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@llmedit/core';
import { checkpointDir, loadPretrained } from '@llmedit/pretrained';
import { CHECKPOINT_STATS } from '../src/checkpoint-stats.js';
import { encodeLayerStats, layerStats, statsModuleName } from '../src/node.js';

await initBackend();
const model = loadPretrained('default');
const { layers, samples, dataset } = CHECKPOINT_STATS;
const stats = await layerStats(model, layers, { samples, dataset, cacheDir: false });
const folder = join(checkpointDir('default'), 'stats');
mkdirSync(join(folder, `${dataset}_stats`), { recursive: true });
for (const layer of layers) {
  const { dim, count, mom2 } = stats.get(layer) ?? { dim: 0, count: 0, mom2: new Float64Array() };
  const file = join(
    folder,
    `${dataset}_stats`,
    `${statsModuleName(model, layer)}_float32_mom2_${samples}.npz`,
  );
  writeFileSync(file, encodeLayerStats({ dim, count, mom2 }));
  console.log(`${file}: ${dim} x ${dim}, ${count} tokens`);
}
writeFileSync(
  join(folder, 'manifest.json'),
  `${JSON.stringify({ modelId: model.modelId, dataset, samples, layers }, null, 2)}\n`,
);
model.dispose();
