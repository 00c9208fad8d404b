import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Two entries: index (browser-safe) and node (index plus the file-system loaders), selected by the `node`
// export condition.
export default defineConfig({ ...tsupPreset, entry: ['src/index.ts', 'src/node.ts'] });
