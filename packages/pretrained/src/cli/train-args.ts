import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidRequestError } from '@llmedit/core';
import { checkpointDir } from '../checkpoints.js';
import { type ModelPreset, presets } from '../presets.js';
import { type CommandLine, parseCommandLine } from './command-line.js';

export const TRAIN_USAGE = `Usage: pnpm --filter @llmedit/pretrained train <preset> [--out DIR] [--state DIR] [--max-minutes M] [--force]

Trains the preset from scratch (or resumes from --state) and writes the checkpoint (config.json,
model.safetensors, tokenizer files, MODEL.md). An existing checkpoint, such as the committed
checkpoints/<preset>/, is never replaced without --force.

  <preset>         one of ${Object.keys(presets).join(', ')}
  --out DIR        write the checkpoint there (default: the package's checkpoints/<preset>/)
  --state DIR      save a resumable state there (every few steps); rerun with the same DIR to resume
  --max-minutes M  stop after M minutes of training (state saved); the checkpoint is written when done
  --force          replace an existing checkpoint in the output folder
  -h, --help       this text
`;

/** What `train` does, from its command line. */
export interface TrainCommand {
  readonly help: false;
  readonly preset: ModelPreset;
  readonly outDir: string;
  readonly stateDir: string | undefined;
  readonly maxSeconds: number | undefined;
}

const options = {
  out: { type: 'string' },
  state: { type: 'string' },
  'max-minutes': { type: 'string' },
  force: { type: 'boolean', default: false },
} as const;

/**
 * Parse `train`'s command line. Refuses (InvalidRequestError naming the flag) unknown flags, anything but one
 * known preset, a non-positive --max-minutes, and an output folder that already holds a checkpoint unless
 * --force: a mistyped command must not destroy a committed model that took an hour to train.
 */
export function parseTrainArgs(argv: readonly string[]): TrainCommand | { readonly help: true } {
  const parsed: CommandLine<typeof options> = parseCommandLine('train', argv, options, 1);
  if (parsed.help) return parsed;
  const { values, positionals } = parsed;
  const name = positionals[0];
  if (name === undefined) throw new InvalidRequestError('train', '<preset>', 'is required (name one preset)');
  const preset = presets[name];
  if (preset === undefined) {
    throw new InvalidRequestError(
      'train',
      '<preset>',
      `'${name}' is not one of ${Object.keys(presets).join(', ')}`,
    );
  }
  let maxSeconds: number | undefined;
  if (values['max-minutes'] !== undefined) {
    const minutes = Number(values['max-minutes']);
    if (!(minutes > 0)) {
      throw new InvalidRequestError(
        'train',
        '--max-minutes',
        `takes a positive number, got '${values['max-minutes']}'`,
      );
    }
    maxSeconds = minutes * 60;
  }
  const outDir = values.out === undefined ? checkpointDir(preset.name) : resolve(values.out);
  if (existsSync(join(outDir, 'model.safetensors')) && values.force !== true) {
    throw new InvalidRequestError(
      'train',
      '--force',
      `is needed to replace the checkpoint in ${outDir} (or write elsewhere with --out DIR)`,
    );
  }
  return { help: false, preset, outDir, stateDir: values.state, maxSeconds };
}
