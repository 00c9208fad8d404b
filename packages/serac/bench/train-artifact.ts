// Train SERAC's artifact for a committed checkpoint and save it (the committed one: `--model default`).
// Run: pnpm --filter @llmedit/serac train [--model default|micro] [--out artifacts/<model>]
//        [--seed 0] [--set key=value ...] (any SeracHparams key, e.g. --set counterfactualEpochs=2)
import { join } from 'node:path';
import { runArtifactTraining } from '@llmedit/pretrained';
import { saveSeracArtifact } from '../src/artifact.js';
import { seracHparams } from '../src/hparams.js';
import { seracPresets } from '../src/presets.js';
import { trainSerac } from '../src/train.js';

await runArtifactTraining({
  what: 'SERAC',
  packageDir: join(import.meta.dirname, '..'),
  presets: seracPresets,
  parse: (values) => seracHparams.parse(values),
  train: trainSerac,
  save: saveSeracArtifact,
  report: (artifact) => artifact.config.report,
  dispose: (artifact) => artifact.dispose(),
});
