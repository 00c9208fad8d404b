import { defineConfig } from 'tsup';
import { tsupPreset } from '../tsup.preset.ts';

// Two entries: `browser` holds the pure parsers (no node: imports); `index` adds the Node file readers.
// `shims` gives the CJS build an import.meta.url, which datasetPath() resolves the data folder from.
export default defineConfig({ ...tsupPreset, entry: ['src/index.ts', 'src/browser.ts'], shims: true });
