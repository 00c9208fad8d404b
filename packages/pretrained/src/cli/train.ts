// Usage: pnpm --filter @llmedit/pretrained train <preset> [--out DIR] [--state DIR] [--max-minutes M] [--force]
// (`--help` for the details). A committed checkpoint is never overwritten without --force.
import { describeBackend, initBackend } from '@llmedit/core';
import { buildCheckpoint } from '../build-checkpoint.js';
import { runCommandLine } from './command-line.js';
import { parseTrainArgs, TRAIN_USAGE } from './train-args.js';

await runCommandLine(
  TRAIN_USAGE,
  () => parseTrainArgs(process.argv.slice(2)),
  async ({ preset, outDir, stateDir, maxSeconds }) => {
    const backend = await initBackend();
    process.stderr.write(`backend: ${describeBackend(backend)}\n`);
    const { probes } = await buildCheckpoint(preset, {
      outDir,
      ...(stateDir === undefined ? {} : { stateDir }),
      ...(maxSeconds === undefined ? {} : { maxSeconds }),
    });
    if (probes !== undefined) console.log(JSON.stringify(probes, null, 2));
  },
);
