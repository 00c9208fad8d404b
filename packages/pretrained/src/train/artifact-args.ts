import { InvalidRequestError } from '@llmedit/core';
import { parseCommandLine } from '../cli/command-line.js';

/** What a method package's `train` script (`bench/train-artifact.ts`) reads from its command line. */
export interface TrainArtifactArgs {
  readonly help: false;
  /** `--model`: the committed checkpoint to train for (default 'default'). */
  readonly model: string;
  /** `--out`: the artifact folder (default: the package's `artifacts/<model>`). */
  readonly out: string | undefined;
  /** `--seed` (default 0). */
  readonly seed: number;
  /** `--set key=value`, repeatable: hyperparameter overrides (numbers and JSON arrays parsed). */
  readonly overrides: Record<string, unknown>;
  /** `--force`: replace an artifact already in the output folder (the committed one by default). */
  readonly force: boolean;
}

/** The usage text of the artifact-training scripts (`pnpm --filter @llmedit/<method> train --help`). */
export function trainArtifactUsage(method: string, what: string): string {
  return `Usage: pnpm --filter @llmedit/${method} train [--model NAME] [--out DIR] [--force] [--seed N] [--set key=value ...]

Trains ${what}'s artifact for a committed checkpoint on the training splits and saves it.
  --model NAME     the checkpoint (default: default)
  --out DIR        the artifact folder (default: the package's artifacts/<model>, the committed one)
  --force          replace an artifact already in that folder (refused otherwise)
  --seed N         seed (default 0)
  --set key=value  a hyperparameter over the model's preset (numbers and JSON arrays parsed), repeatable
  -h, --help       this text
`;
}

/**
 * The command line of the artifact-training scripts (SERAC, MEND, KE), one style for all:
 * `--model default --out DIR --seed 0 --set steps=500 --set layers=[5,6,7] --force`. Unknown flags are an
 * InvalidRequestError; `--help` returns `{ help: true }`.
 */
export function parseTrainArtifactArgs(argv: readonly string[]): TrainArtifactArgs | { readonly help: true } {
  const parsed = parseCommandLine('train', argv, {
    model: { type: 'string', default: 'default' },
    out: { type: 'string' },
    seed: { type: 'string', default: '0' },
    set: { type: 'string', multiple: true, default: [] },
    force: { type: 'boolean', default: false },
  });
  if (parsed.help) return parsed;
  const { values } = parsed;
  const overrides: Record<string, unknown> = {};
  for (const assignment of values.set) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new InvalidRequestError('train', '--set', `expected key=value, got '${assignment}'`);
    const value = assignment.slice(at + 1);
    let parsedValue: unknown = value;
    if (value.startsWith('[')) {
      try {
        parsedValue = JSON.parse(value);
      } catch (error) {
        throw new InvalidRequestError('train', '--set', `'${assignment}' is not a JSON array`, {
          cause: error,
        });
      }
    } else if (value !== '' && !Number.isNaN(Number(value))) {
      parsedValue = Number(value);
    }
    overrides[assignment.slice(0, at)] = parsedValue;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new InvalidRequestError('train', '--seed', 'must be an integer');
  return { help: false, model: values.model, out: values.out, seed, overrides, force: values.force };
}
