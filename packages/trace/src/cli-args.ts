import { parseArgs } from 'node:util';
import { InvalidRequestError } from '@llmedit/core';
import { TRACE_KINDS, type TraceKind } from './trace.js';

export const USAGE = `Usage:
  llmedit-trace --model <dir|default|micro> --prompt <text> --subject <text> [options]
  llmedit-trace --model <dir|default|micro> --known <n> [options]     (average over ROME's known facts)

Options:
  --target <text>     answer to score (default: the model's prediction; known facts: the true attribute)
  --kind <k>          residual | mlp | attn (default residual)
  --samples <n>       noise samples per restoration (default 10)
  --noise <std>       noise standard deviation (default 3 x the token-embedding std)
  --seed <n>          noise seed (default 1)
  --window <n>        layers restored together for mlp/attn (default 10/48 of the depth, at least 1)
  --out <file.svg>    write the heatmap
  --json <file.json>  write the numbers
  -h, --help          this text
`;

export type TraceCommand =
  | { command: 'help' }
  | {
      command: 'fact' | 'average';
      model: string;
      prompt?: string;
      subject?: string;
      target?: string;
      known?: number;
      kind: TraceKind;
      samples?: number;
      noise?: number;
      seed?: number;
      window?: number;
      out?: string;
      json?: string;
    };

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidRequestError('llmedit-trace', `--${name}`, `must be a positive integer, got '${text}'`);
  }
  return value;
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      subject: { type: 'string' },
      target: { type: 'string' },
      known: { type: 'string' },
      kind: { type: 'string' },
      samples: { type: 'string' },
      noise: { type: 'string' },
      seed: { type: 'string' },
      window: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Parse the command line of `llmedit-trace` (arguments after the script). */
export function parseTraceArgs(argv: readonly string[]): TraceCommand {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    // node:util reports unknown or valueless flags as a TypeError; keep one error type for the CLI.
    throw new InvalidRequestError('llmedit-trace', 'arguments', (error as Error).message, { cause: error });
  }
  const { values } = parsed;
  if (values.help === true) return { command: 'help' };
  const fail = (field: string, message: string): never => {
    throw new InvalidRequestError('llmedit-trace', field, message);
  };
  if (values.model === undefined) fail('--model', 'is required (a model folder, default or micro)');
  const kind = (values.kind ?? 'residual') as TraceKind;
  if (!TRACE_KINDS.includes(kind)) fail('--kind', `must be one of ${TRACE_KINDS.join(', ')}`);
  const known = positiveInteger('known', values.known);
  if (known === undefined && (values.prompt === undefined || values.subject === undefined)) {
    fail('--prompt', 'and --subject are required (or --known <n> for an average over known facts)');
  }
  if (known !== undefined && (values.prompt !== undefined || values.subject !== undefined)) {
    fail('--known', 'cannot be combined with --prompt/--subject');
  }
  let noise: number | undefined;
  if (values.noise !== undefined) {
    noise = Number(values.noise);
    if (!Number.isFinite(noise) || noise < 0) fail('--noise', `must be a number >= 0, got '${values.noise}'`);
  }
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) fail('--seed', `must be an integer >= 0, got '${values.seed}'`);
  }
  const optional = {
    ...(values.prompt === undefined ? {} : { prompt: values.prompt }),
    ...(values.subject === undefined ? {} : { subject: values.subject }),
    ...(values.target === undefined ? {} : { target: values.target }),
    ...(known === undefined ? {} : { known }),
    ...(noise === undefined ? {} : { noise }),
    ...(seed === undefined ? {} : { seed }),
    ...(values.out === undefined ? {} : { out: values.out }),
    ...(values.json === undefined ? {} : { json: values.json }),
  };
  const samples = positiveInteger('samples', values.samples);
  const window = positiveInteger('window', values.window);
  return {
    command: known === undefined ? 'fact' : 'average',
    model: values.model as string,
    kind,
    ...optional,
    ...(samples === undefined ? {} : { samples }),
    ...(window === undefined ? {} : { window }),
  };
}
