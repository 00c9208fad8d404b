/**
 * Writes the pretraining corpus as JSON lines (one JSON string per document, in corpus order) and prints
 * its statistics.
 *
 *   pnpm --filter @llmedit/pretrained build-corpus <out.jsonl> [--seed N] [--prefix-fraction F]
 *     [--templates-per-fact N] [--eval-boost N] [--ike-blocks N]
 */
import { writeFileSync } from 'node:fs';
import { InvalidRequestError } from '@llmedit/core';
import { type BuildCorpusOptions, buildCorpus } from '../corpus/build-corpus.js';
import { parseCommandLine, runCommandLine } from './command-line.js';

const USAGE = `Usage: pnpm --filter @llmedit/pretrained build-corpus <out.jsonl> [--seed N] [--prefix-fraction F]
  [--templates-per-fact N] [--eval-boost N] [--ike-blocks N]

Writes the pretraining corpus as JSON lines and prints its statistics (-h, --help: this text).
`;

function numberFlag(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n))
    throw new InvalidRequestError('build-corpus', `--${name}`, `must be a number, got '${raw}'`);
  return n;
}

const flags = {
  seed: { type: 'string' },
  'prefix-fraction': { type: 'string' },
  'templates-per-fact': { type: 'string' },
  'eval-boost': { type: 'string' },
  'ike-blocks': { type: 'string' },
} as const;

/** The output file and corpus options, from the command line. */
function parse(
  argv: readonly string[],
): { help: true } | { help: false; out: string; options: BuildCorpusOptions } {
  const parsed = parseCommandLine('build-corpus', argv, flags, 1);
  if (parsed.help) return parsed;
  const { values, positionals } = parsed;
  const out = positionals[0];
  if (out === undefined) throw new InvalidRequestError('build-corpus', '<out.jsonl>', 'is required');
  const options: BuildCorpusOptions = {};
  const seed = numberFlag(values, 'seed');
  if (seed !== undefined) options.seed = seed;
  const prefixFraction = numberFlag(values, 'prefix-fraction');
  if (prefixFraction !== undefined) options.prefixFraction = prefixFraction;
  const templatesPerFact = numberFlag(values, 'templates-per-fact');
  if (templatesPerFact !== undefined) options.templatesPerFact = templatesPerFact;
  const evalBoost = numberFlag(values, 'eval-boost');
  if (evalBoost !== undefined) options.evalBoost = evalBoost;
  const ikeBlocks = numberFlag(values, 'ike-blocks');
  if (ikeBlocks !== undefined) options.ikeBlocks = ikeBlocks;

  return { help: false, out, options };
}

await runCommandLine(
  USAGE,
  () => parse(process.argv.slice(2)),
  ({ out, options }) => {
    const started = performance.now();
    const { documents, stats } = buildCorpus(options);
    writeFileSync(out, `${documents.map((d) => JSON.stringify(d)).join('\n')}\n`);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `wrote ${documents.length} documents (${stats.characters} characters) to ${out} in ${seconds.toFixed(1)} s`,
    );
    const width = Math.max(...Object.keys(stats).map((k) => k.length));
    for (const [key, value] of Object.entries(stats)) console.log(`  ${key.padEnd(width)}  ${value}`);
  },
);
