import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// The CLI is an entry so that the `llmedit-trace` bin ships built; node is the Node entry (index plus the CLI's
// argument parser), selected by the `node` export condition.
export default defineConfig({ ...tsupPreset, entry: ['src/index.ts', 'src/node.ts', 'src/cli.ts'] });
