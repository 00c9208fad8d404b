// Train KE's hypernetwork for a committed checkpoint on the training split and save the artifact.
// Run: pnpm --filter @llmedit/ke train [--model default|micro] [--out artifacts/<model>] [--seed 0]
//        [--set key=value ...] (any KeHparams key, e.g. --set steps=500)
import { join } from 'node:path';
import { currentBackend, initBackend } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import {
  type CheckpointName,
  loadPretrained,
  ProgressBar,
  parseTrainArtifactArgs,
} from '@llmedit/pretrained';
import { saveKeArtifact } from '../src/artifact.js';
import { keHparams } from '../src/hparams.js';
import { kePresets } from '../src/presets.js';
import { trainKe } from '../src/train.js';

const args = parseTrainArtifactArgs(process.argv.slice(2));
const modelName = args.model as CheckpointName;
const out = args.out ?? join(import.meta.dirname, '..', 'artifacts', modelName);

await initBackend();
const model = loadPretrained(modelName);
const preset = kePresets[modelName as keyof typeof kePresets] ?? {};
const hparams = keHparams.parse({ ...preset, ...args.overrides });
const requests = hparams.trainingDatasets.flatMap((d) => loadSplit(d, 'train'));
console.error(
  `KE training for ${modelName} (${model.modelId}) on ${requests.length} training requests, layers [${hparams.layers.join(', ')}], backend ${currentBackend()?.name}`,
);
const bar = new ProgressBar(hparams.steps, 'ke-train'.padEnd(12), 100);
const artifact = await trainKe(model, requests, hparams, {
  seed: args.seed,
  onProgress({ fraction }) {
    bar.update(Math.round(fraction * hparams.steps), {});
  },
});
bar.finish();
saveKeArtifact(artifact, out);
console.log(JSON.stringify(artifact.config.report, null, 2));
console.log(`saved to ${out}`);
artifact.dispose();
model.dispose();
