// ROME's figure 2 on a committed checkpoint: causal traces of the residual stream, the MLP and the attention
// averaged over the first N facts of known_1000 that the model gets right, written as SVG figures and JSON.
// Run: pnpm --filter @llmedit/trace average [--model=default] [--facts=100] [--samples=10] [--seed=1]
//        [--window=<n>] [--kinds=residual,mlp,attn] [--out=figures]
// The window (MLP and attention layers restored together) defaults to ROME's 10 of 48 layers scaled to the
// model's depth: round(10 * 4 / 48) = 1 on the 4-layer default model.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@llmedit/core';
import { datasetPath, loadKnownFactsFile } from '@llmedit/datasets';
import {
  CHECKPOINT_NAMES,
  type CheckpointName,
  commandLineOrExit,
  loadPretrained,
} from '@llmedit/pretrained';
import {
  type AverageTrace,
  averageTraces,
  formatAverageTable,
  knownFacts,
  renderAverageTraceSvg,
  TRACE_KINDS,
  type TraceKind,
} from '../src/index.js';

const USAGE = `Usage: pnpm --filter @llmedit/trace average [--model=default] [--facts=100] [--samples=10] [--seed=1]
        [--window=<n>] [--kinds=residual,mlp,attn] [--out=figures]`;
const { values: flags } = commandLineOrExit('trace average', USAGE, {
  model: { type: 'string' },
  facts: { type: 'string' },
  samples: { type: 'string' },
  seed: { type: 'string' },
  window: { type: 'string' },
  kinds: { type: 'string' },
  out: { type: 'string' },
});

function option(
  name: 'model' | 'facts' | 'samples' | 'seed' | 'window' | 'kinds' | 'out',
): string | undefined {
  return flags[name];
}

function integerOption(name: Parameters<typeof option>[0], fallback: number | undefined): number | undefined {
  const text = option(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--${name} must be an integer >= 0, got '${text}'`);
  return value;
}

const modelName = option('model') ?? 'default';
if (!(CHECKPOINT_NAMES as readonly string[]).includes(modelName)) {
  throw new Error(`--model must be one of ${CHECKPOINT_NAMES.join(', ')}, got '${modelName}'`);
}
const limit = integerOption('facts', 100) as number;
const samples = integerOption('samples', 10) as number;
const seed = integerOption('seed', 1) as number;
const window = integerOption('window', undefined);
const kinds = (option('kinds')?.split(',') ?? [...TRACE_KINDS]) as TraceKind[];
for (const kind of kinds) {
  if (!TRACE_KINDS.includes(kind)) throw new Error(`--kinds takes ${TRACE_KINDS.join(', ')}, got '${kind}'`);
}
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = option('out') ?? join(packageDir, 'figures');

const backend = await initBackend();
const model = loadPretrained(modelName as CheckpointName);
const all = loadKnownFactsFile(datasetPath('known1000')).records;
const everyKnown = knownFacts(model, all);
const facts = everyKnown.slice(0, limit);
console.log(
  `model ${modelName} (${model.modelId}), backend ${backend.name}: ${everyKnown.length} of the ${all.length} ` +
    `known_1000 facts are the model's argmax; tracing the first ${facts.length}`,
);

/** The layer with the largest average indirect effect for each token group (null: no fact has the group). */
function peaksByGroup(average: AverageTrace) {
  return Object.fromEntries(
    average.groups.map((group, g) => {
      if (average.groupCounts[g] === 0) return [group, null];
      const row = average.indirectEffect[g] as number[];
      const layer = row.indexOf(Math.max(...row));
      return [group, { layer, indirectEffect: row[layer] as number }];
    }),
  );
}

mkdirSync(outDir, { recursive: true });
const summary: Record<string, unknown> = {
  command: `pnpm --filter @llmedit/trace average ${process.argv.slice(2).join(' ')}`.trim(),
  model: modelName,
  modelId: model.modelId,
  backend: backend.name,
  knownFacts: everyKnown.length,
  records: all.length,
  traced: facts.length,
  kinds: {} as Record<string, unknown>,
};
for (const kind of kinds) {
  const started = performance.now();
  const average = averageTraces(model, facts, {
    kind,
    samples,
    seed,
    ...(window === undefined || kind === 'residual' ? {} : { window }),
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${formatAverageTable(average)}`);
  console.log(`${seconds.toFixed(1)} s (${((1000 * seconds) / facts.length).toFixed(0)} ms per fact)`);
  const suffix = window === undefined || kind === 'residual' ? '' : `-window${window}`;
  const file = join(outDir, `average-${kind}${suffix}.svg`);
  writeFileSync(file, renderAverageTraceSvg(average));
  console.log(`wrote ${file}`);
  (summary.kinds as Record<string, unknown>)[`${kind}${suffix}`] = {
    window: average.window,
    noise: average.noise,
    samples: average.samples,
    seed: average.seed,
    meanClean: average.meanClean,
    meanCorrupted: average.meanCorrupted,
    totalEffect: average.totalEffect,
    peak: average.peak,
    peaksByGroup: peaksByGroup(average),
    groupCounts: Object.fromEntries(average.groups.map((g, i) => [g, average.groupCounts[i]])),
    indirectEffect: Object.fromEntries(
      average.groups.map((g, i) => [
        g,
        (average.indirectEffect[i] as number[]).map((v) => Number(v.toFixed(5))),
      ]),
    ),
    seconds: Number(seconds.toFixed(1)),
  };
}
const jsonFile = join(
  outDir,
  window === undefined ? 'average-known.json' : `average-known-window${window}.json`,
);
// Arrays of numbers on one line, as the repository's formatter (biome) writes them.
const json = JSON.stringify(summary, null, 2).replace(
  /\[\s+([-\d.e+,\s]+?)\s+\]/g,
  (_, items: string) => `[${items.split(/,\s*/).join(', ')}]`,
);
writeFileSync(jsonFile, `${json}\n`);
console.log(`wrote ${jsonFile}`);
model.dispose();
