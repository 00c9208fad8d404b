import { parseArgs } from 'node:util';
import { InvalidRequestError } from '@llmedit/core';

/** What a method package's `train` script (`bench/train-artifact.ts`) reads from its command line. */
export interface TrainArtifactArgs {
  /** `--model`: the committed checkpoint to train for (default 'default'). */
  readonly model: string;
  /** `--out`: the artifact folder (default: the package's `artifacts/<model>`). */
  readonly out: string | undefined;
  /** `--seed` (default 0). */
  readonly seed: number;
  /** `--set key=value`, repeatable: hyperparameter overrides (numbers and JSON arrays parsed). */
  readonly overrides: Record<string, unknown>;
}

/**
 * The command line of the artifact-training scripts (SERAC, MEND, KE), one style for all:
 * `--model default --out DIR --seed 0 --set steps=500 --set layers=[5,6,7]`. Unknown flags are an error.
 */
export function parseTrainArtifactArgs(argv: readonly string[]): TrainArtifactArgs {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      model: { type: 'string', default: 'default' },
      out: { type: 'string' },
      seed: { type: 'string', default: '0' },
      set: { type: 'string', multiple: true, default: [] },
    },
  });
  const overrides: Record<string, unknown> = {};
  for (const assignment of values.set) {
    const at = assignment.indexOf('=');
    if (at <= 0)
      throw new InvalidRequestError('command line', '--set', `expected key=value, got '${assignment}'`);
    const value = assignment.slice(at + 1);
    overrides[assignment.slice(0, at)] = value.startsWith('[')
      ? JSON.parse(value)
      : value !== '' && !Number.isNaN(Number(value))
        ? Number(value)
        : value;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new InvalidRequestError('command line', '--seed', 'must be an integer');
  return { model: values.model, out: values.out, seed, overrides };
}
