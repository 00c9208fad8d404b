// One style for every llmedit command line (train, evaluate, build-corpus, the artifact-training scripts of
// SERAC, MEND and KE, the packages' bench scripts): node:util parseArgs in strict mode, `--help`/`-h` on each,
// unknown flags and bad values reported as one typed error with the usage, exit codes 0 (help), 2 (usage).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InvalidRequestError } from '@llmedit/core';

/** The flags a command declares (node:util `parseArgs` option configs). */
export type CommandLineOptions = NonNullable<ParseArgsConfig['options']>;

type FlagValue<C> = C extends { type: 'boolean' } ? boolean : string;
type FlagValues<C> = C extends { multiple: true } ? FlagValue<C>[] : FlagValue<C>;

/**
 * The parsed flags of `O`: a flag with a default is always there, the others may be missing. Spelled out
 * here (rather than node's own result type, which @types/node does not export) so that the published
 * declarations are self-contained.
 */
export type ParsedFlags<O extends CommandLineOptions> = {
  -readonly [K in keyof O as O[K] extends { default: unknown } ? K : never]: FlagValues<O[K]>;
} & {
  -readonly [K in keyof O as O[K] extends { default: unknown } ? never : K]?: FlagValues<O[K]>;
};

/** What `parseCommandLine` returns: `help` when `--help` was given, else the flags and positionals. */
export type CommandLine<O extends CommandLineOptions> =
  | { readonly help: true }
  | { readonly help: false; readonly values: ParsedFlags<O>; readonly positionals: string[] };

/**
 * Parse `argv` (without node and the script) against `options` plus `--help`/`-h`. A lone `--` (what
 * `pnpm run x -- --flag` passes through) is dropped. Unknown flags, a missing value and, unless
 * `maxPositionals` allows them, positionals are an `InvalidRequestError` naming the tool and the flag.
 */
export function parseCommandLine<O extends CommandLineOptions>(
  tool: string,
  argv: readonly string[],
  options: O,
  maxPositionals = 0,
): CommandLine<O> {
  const config = {
    args: argv.filter((a) => a !== '--'),
    options: { ...options, help: { type: 'boolean', short: 'h' } } as CommandLineOptions,
    allowPositionals: true,
    strict: true,
  } as const;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    // node:util throws a TypeError with a code (ERR_PARSE_ARGS_UNKNOWN_OPTION, ...): keep one error type.
    throw new InvalidRequestError(tool, 'arguments', (error as Error).message, { cause: error });
  }
  if ((parsed.values as { help?: boolean }).help === true) return { help: true };
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).join(' ');
    throw new InvalidRequestError(tool, 'arguments', `unexpected argument(s): ${extra}`);
  }
  const { help: _help, ...values } = parsed.values;
  return { help: false, values: values as ParsedFlags<O>, positionals: parsed.positionals };
}

/**
 * The top of a CLI script: parse, print the usage and exit 0 on `--help`, print the error and the usage and
 * exit 2 on a usage error (`parse` throwing `InvalidRequestError`), else hand the parsed command to `run`.
 */
export async function runCommandLine<P extends { readonly help: boolean }>(
  usage: string,
  parse: () => P,
  run: (command: Extract<P, { readonly help: false }>) => unknown,
): Promise<void> {
  let command: P;
  try {
    command = parse();
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    process.stderr.write(`${error.message}\n\n${usage.trimEnd()}\n`);
    process.exit(2);
  }
  if (command.help) {
    process.stdout.write(`${usage.trimEnd()}\n`);
    return;
  }
  await run(command as Extract<P, { readonly help: false }>);
}

/**
 * For scripts that read their flags at the top: `parseCommandLine` on `process.argv`, printing the usage and
 * exiting 0 on `--help`, printing the error and the usage and exiting 2 on a usage error.
 */
export function commandLineOrExit<O extends CommandLineOptions>(
  tool: string,
  usage: string,
  options: O,
  maxPositionals = 0,
  argv: readonly string[] = process.argv.slice(2),
): Extract<CommandLine<O>, { readonly help: false }> {
  let parsed: CommandLine<O>;
  try {
    parsed = parseCommandLine(tool, argv, options, maxPositionals);
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    process.stderr.write(`${error.message}\n\n${usage.trimEnd()}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(`${usage.trimEnd()}\n`);
    process.exit(0);
  }
  return parsed as Extract<CommandLine<O>, { readonly help: false }>;
}
