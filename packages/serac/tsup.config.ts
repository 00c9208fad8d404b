import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Gradient workers import the counterfactual loss by file: its own entry beside the bundle; shims give the
// CJS build import.meta.url.
export default defineConfig({
  ...tsupPreset,
  entry: { index: 'src/index.ts', 'counterfactual-loss': 'src/counterfactual-loss.ts' },
  shims: true,
});
