// Train MEND's editor for a committed checkpoint on the training split and save the artifact.
// Run: pnpm --filter @llmedit/mend train [--model default|micro] [--out artifacts/<model>] [--seed 0]
//        [--set key=value ...] (any MendHparams key, e.g. --set steps=500)
import { join } from 'node:path';
import { runArtifactTraining } from '@llmedit/pretrained';
import { saveMendArtifact } from '../src/artifact.js';
import { mendHparams } from '../src/hparams.js';
import { mendPresets } from '../src/presets.js';
import { trainMend } from '../src/train.js';

await runArtifactTraining({
  what: 'MEND',
  packageDir: join(import.meta.dirname, '..'),
  presets: mendPresets,
  parse: (values) => mendHparams.parse(values),
  describe: (hparams) => `layers [${hparams.layers.join(', ')}]`,
  train: trainMend,
  save: saveMendArtifact,
  report: (artifact) => artifact.config.report,
  dispose: (artifact) => artifact.dispose(),
});
