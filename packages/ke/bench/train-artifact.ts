// Train KE's hypernetwork for a committed checkpoint on the training split and save the artifact.
// Run: pnpm --filter @llmedit/ke train [--model default|micro] [--out artifacts/<model>] [--seed 0]
//        [--set key=value ...] (any KeHparams key, e.g. --set steps=500)
import { join } from 'node:path';
import { runArtifactTraining } from '@llmedit/pretrained';
import { saveKeArtifact } from '../src/artifact.js';
import { keHparams } from '../src/hparams.js';
import { kePresets } from '../src/presets.js';
import { trainKe } from '../src/train.js';

await runArtifactTraining({
  what: 'KE',
  packageDir: join(import.meta.dirname, '..'),
  presets: kePresets,
  parse: (values) => keHparams.parse(values),
  describe: (hparams) => `layers [${hparams.layers.join(', ')}]`,
  train: trainKe,
  save: saveKeArtifact,
  report: (artifact) => artifact.config.report,
  dispose: (artifact) => artifact.dispose(),
});
