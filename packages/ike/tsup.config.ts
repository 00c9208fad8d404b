import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Two entries: index (browser-safe) and node (IKE defaulting to the training splits on disk), selected by the
// `node` export condition.
export default defineConfig({ ...tsupPreset, entry: ['src/index.ts', 'src/node.ts'] });
