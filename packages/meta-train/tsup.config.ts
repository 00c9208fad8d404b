import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Two entries selected by the `node` export condition: index (browser-safe) and node (artifact folders on
// disk). Gradient workers import the meta-loss by file: its own entry beside the bundle. Shims give the CJS
// build import.meta.url (the meta-loss module's and the committed artifacts' URLs are found from it).
export default defineConfig({
  ...tsupPreset,
  entry: { index: 'src/index.ts', node: 'src/node.ts', 'meta-loss': 'src/meta-loss.ts' },
  shims: true,
});
