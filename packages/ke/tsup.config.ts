import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Two entries selected by the `node` export condition: index (browser-safe) and node (artifact folders and
// training). Shims give the CJS build import.meta.url (the committed artifact's folder is found from it).
export default defineConfig({ ...tsupPreset, entry: ['src/index.ts', 'src/node.ts'], shims: true });
