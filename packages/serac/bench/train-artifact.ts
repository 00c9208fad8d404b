// Train SERAC's artifact for a committed checkpoint and save it (the committed one: `--model default`).
// Run: pnpm --filter @llmedit/serac train [--model default|micro] [--out artifacts/<model>]
//        [--seed 0] [--set key=value ...] (any SeracHparams key, e.g. --set counterfactualEpochs=2)
import { join } from 'node:path';
import { currentBackend, initBackend } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import {
  type CheckpointName,
  loadPretrained,
  ProgressBar,
  parseTrainArtifactArgs,
} from '@llmedit/pretrained';
import { saveSeracArtifact } from '../src/artifact.js';
import { seracHparams } from '../src/hparams.js';
import { seracPresets } from '../src/presets.js';
import { trainSerac } from '../src/train.js';

const args = parseTrainArtifactArgs(process.argv.slice(2));
const modelName = args.model as CheckpointName;
const out = args.out ?? join(import.meta.dirname, '..', 'artifacts', modelName);
const { seed, overrides } = args;

await initBackend();
const model = loadPretrained(modelName);
const hparams = seracHparams.parse({ ...seracPresets[modelName as keyof typeof seracPresets], ...overrides });
const requests = hparams.trainingDatasets.flatMap((d) => loadSplit(d, 'train'));
console.error(
  `SERAC training for ${modelName} (${model.modelId}) on ${requests.length} training requests, backend ${currentBackend()?.name}`,
);
let bar: ProgressBar | undefined;
let stage = '';
const artifact = await trainSerac(model, requests, hparams, {
  seed,
  onProgress({ stage: now, fraction }) {
    if (now !== stage) {
      bar?.finish();
      stage = now;
      bar = new ProgressBar(1000, now.padEnd(20), 100);
    }
    bar?.update(Math.round(fraction * 1000), {});
  },
});
bar?.finish();
await saveSeracArtifact(artifact, out);
console.log(JSON.stringify(artifact.config.report, null, 2));
console.log(`saved to ${out}`);
artifact.dispose();
model.dispose();
