// Usage: pnpm --filter @llmedit/pretrained train [default|micro] [--state DIR]
// Trains the preset from scratch (or resumes from --state) and writes checkpoints/<name>/.
import { initBackend } from '@llmedit/core';
import { buildCheckpoint } from '../build-checkpoint.js';
import { checkpointDir } from '../checkpoints.js';
import { presets } from '../presets.js';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--')) ?? 'default';
const stateIndex = args.indexOf('--state');
const preset = presets[name];
if (preset === undefined) {
  process.stderr.write(`Unknown preset '${name}'. Known: ${Object.keys(presets).join(', ')}\n`);
  process.exit(2);
}
const backend = await initBackend();
process.stderr.write(`backend: ${backend.name}${backend.kernelFixes ? ' (kernel fixes)' : ''}\n`);
const { probes } = await buildCheckpoint(preset, {
  outDir: checkpointDir(preset.name),
  ...(stateIndex >= 0 && args[stateIndex + 1] !== undefined ? { stateDir: args[stateIndex + 1]! } : {}),
});
console.log(JSON.stringify(probes, null, 2));
