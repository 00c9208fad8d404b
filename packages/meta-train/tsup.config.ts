import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Gradient workers import the meta-loss by file: its own entry beside the bundle. Shims give the CJS build
// import.meta.url (the meta-loss module's URL is found from it).
export default defineConfig({
  ...tsupPreset,
  entry: { index: 'src/index.ts', 'meta-loss': 'src/meta-loss.ts' },
  shims: true,
});
