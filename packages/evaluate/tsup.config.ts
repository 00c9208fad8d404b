import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// The shard worker is its own entry (worker threads load it by file); shims give the CJS build import.meta.url.
export default defineConfig({ ...tsupPreset, entry: ['src/index.ts', 'src/shard-worker.ts'], shims: true });
