import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Two entries, selected by the `node` export condition: index (browser-safe) and node (index plus VLM folders,
// the default VLM and training). Shims give the CJS build import.meta.url (the default VLM's folder is found
// from it).
export default defineConfig({ ...tsupPreset, entry: ['src/index.ts', 'src/node.ts'], shims: true });
