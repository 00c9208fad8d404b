/**
 * Writes the pretraining corpus as JSON lines (one JSON string per document, in corpus order) and prints
 * its statistics.
 *
 *   pnpm --filter @llmedit/pretrained build-corpus <out.jsonl> [--seed N] [--prefix-fraction F]
 *     [--templates-per-fact N] [--eval-boost N] [--ike-blocks N]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type BuildCorpusOptions, buildCorpus } from '../corpus/build-corpus.js';

const USAGE =
  'usage: build-corpus <out.jsonl> [--seed N] [--prefix-fraction F] [--templates-per-fact N] ' +
  '[--eval-boost N] [--ike-blocks N]';

function numberFlag(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${raw}'`);
  return n;
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      seed: { type: 'string' },
      'prefix-fraction': { type: 'string' },
      'templates-per-fact': { type: 'string' },
      'eval-boost': { type: 'string' },
      'ike-blocks': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const out = positionals[0];
  if (values.help === true || out === undefined || positionals.length > 1) {
    console.error(USAGE);
    return values.help === true ? 0 : 2;
  }
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

  const started = performance.now();
  const { documents, stats } = buildCorpus(options);
  writeFileSync(out, `${documents.map((d) => JSON.stringify(d)).join('\n')}\n`);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `wrote ${documents.length} documents (${stats.characters} characters) to ${out} in ${seconds.toFixed(1)} s`,
  );
  const width = Math.max(...Object.keys(stats).map((k) => k.length));
  for (const [key, value] of Object.entries(stats)) console.log(`  ${key.padEnd(width)}  ${value}`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
