import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// The CLI is a second entry so that the `llmedit-trace` bin ships built.
export default defineConfig({ ...tsupPreset, entry: ['src/index.ts', 'src/cli.ts'] });
