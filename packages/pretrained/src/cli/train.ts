// Usage: pnpm --filter @llmedit/pretrained train [preset] [--state DIR] [--max-minutes M]
// Trains the preset from scratch (or resumes from --state) and writes checkpoints/<name>/. With --max-minutes
// it stops after that much training, state saved, and a rerun with the same --state resumes.
import { describeBackend, initBackend } from '@llmedit/core';
import { buildCheckpoint } from '../build-checkpoint.js';
import { checkpointDir } from '../checkpoints.js';
import { presets } from '../presets.js';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--')) ?? 'default';
const stateIndex = args.indexOf('--state');
const minutesIndex = args.indexOf('--max-minutes');
const maxMinutes = minutesIndex >= 0 ? Number(args[minutesIndex + 1]) : undefined;
if (maxMinutes !== undefined && !(maxMinutes > 0)) {
  process.stderr.write('--max-minutes takes a positive number\n');
  process.exit(2);
}
const preset = presets[name];
if (preset === undefined) {
  process.stderr.write(`Unknown preset '${name}'. Known: ${Object.keys(presets).join(', ')}\n`);
  process.exit(2);
}
const backend = await initBackend();
process.stderr.write(`backend: ${describeBackend(backend)}\n`);
const { probes } = await buildCheckpoint(preset, {
  outDir: checkpointDir(preset.name),
  ...(stateIndex >= 0 && args[stateIndex + 1] !== undefined ? { stateDir: args[stateIndex + 1]! } : {}),
  ...(maxMinutes === undefined ? {} : { maxSeconds: maxMinutes * 60 }),
});
if (probes !== undefined) console.log(JSON.stringify(probes, null, 2));
