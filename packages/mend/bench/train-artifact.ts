// Train MEND's editor for a committed checkpoint on the training split and save the artifact.
// Run: pnpm --filter @llmedit/mend train [--model default|micro] [--out artifacts/<model>] [--seed 0]
//        [--set key=value ...] (any MendHparams key, e.g. --set steps=500)
import { join } from 'node:path';
import { currentBackend, initBackend } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import {
  type CheckpointName,
  loadPretrained,
  ProgressBar,
  parseTrainArtifactArgs,
} from '@llmedit/pretrained';
import { saveMendArtifact } from '../src/artifact.js';
import { mendHparams } from '../src/hparams.js';
import { mendPresets } from '../src/presets.js';
import { trainMend } from '../src/train.js';

const args = parseTrainArtifactArgs(process.argv.slice(2));
const modelName = args.model as CheckpointName;
const out = args.out ?? join(import.meta.dirname, '..', 'artifacts', modelName);
const { seed, overrides } = args;

await initBackend();
const model = loadPretrained(modelName);
const preset = mendPresets[modelName as keyof typeof mendPresets] ?? {};
const hparams = mendHparams.parse({ ...preset, ...overrides });
const requests = hparams.trainingDatasets.flatMap((d) => loadSplit(d, 'train'));
console.error(
  `MEND meta-training for ${modelName} (${model.modelId}) on ${requests.length} training requests, layers [${hparams.layers.join(', ')}], backend ${currentBackend()?.name}`,
);
const bar = new ProgressBar(hparams.steps, 'meta-train'.padEnd(12), 100);
const artifact = await trainMend(model, requests, hparams, {
  seed,
  onProgress({ fraction }) {
    bar.update(Math.round(fraction * hparams.steps), {});
  },
});
bar.finish();
saveMendArtifact(artifact, out);
console.log(JSON.stringify(artifact.config.report, null, 2));
console.log(`saved to ${out}`);
artifact.dispose();
model.dispose();
