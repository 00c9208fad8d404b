// Usage: pnpm --filter @llmedit/pretrained train <preset> [--state DIR] [--max-minutes M] [--force]
// Trains the preset from scratch (or resumes from --state) and writes checkpoints/<preset>/. With
// --max-minutes it stops after that much training, state saved, and a rerun with the same --state resumes.
// A committed checkpoint is never overwritten without --force.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, initBackend } from '@llmedit/core';
import { buildCheckpoint } from '../build-checkpoint.js';
import { checkpointDir } from '../checkpoints.js';
import { presets } from '../presets.js';

const usage = `Usage: pnpm --filter @llmedit/pretrained train <preset> [--state DIR] [--max-minutes M] [--force]

  <preset>         one of ${Object.keys(presets).join(', ')}
  --state DIR      save a resumable state there (every few steps); rerun with the same DIR to resume
  --max-minutes M  stop after M minutes of training (state saved); the checkpoint is written when done
  --force          replace an existing checkpoints/<preset>/ (refused otherwise)
  --help           this text
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        state: { type: 'string' },
        'max-minutes': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}
const { values, positionals } = parse();
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
if (positionals.length !== 1) fail('Name exactly one preset.');
const name = positionals[0]!;
const preset = presets[name];
if (preset === undefined) fail(`Unknown preset '${name}'.`);
const maxMinutes = values['max-minutes'] === undefined ? undefined : Number(values['max-minutes']);
if (maxMinutes !== undefined && !(maxMinutes > 0)) fail('--max-minutes takes a positive number.');
const outDir = checkpointDir(preset.name);
if (existsSync(join(outDir, 'model.safetensors')) && !values.force) {
  fail(`checkpoints/${preset.name}/ exists; pass --force to replace it.`);
}

const backend = await initBackend();
process.stderr.write(`backend: ${describeBackend(backend)}\n`);
const { probes } = await buildCheckpoint(preset, {
  outDir,
  ...(values.state === undefined ? {} : { stateDir: values.state }),
  ...(maxMinutes === undefined ? {} : { maxSeconds: maxMinutes * 60 }),
});
if (probes !== undefined) console.log(JSON.stringify(probes, null, 2));
