import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Worker threads load the gradient worker and the loss module they run by file: each is its own entry beside
// the bundle; shims give the CJS build import.meta.url.
export default defineConfig({
  ...tsupPreset,
  entry: {
    index: 'src/index.ts',
    // the Node entry (the `node` export condition): index plus checkpoints on disk, corpus and training
    node: 'src/node.ts',
    'gradient-worker': 'src/train/gradient-worker.ts',
    'lm-loss': 'src/train/lm-loss.ts',
  },
  shims: true,
});
