import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Two entries selected by the `node` export condition: index (browser-safe) and node (artifact folders and
// training). Gradient workers import the counterfactual loss by file: its own entry beside the bundle; shims
// give the CJS build import.meta.url.
export default defineConfig({
  ...tsupPreset,
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    'counterfactual-loss': 'src/counterfactual-loss.ts',
  },
  shims: true,
});
