// ROME / R-ROME single edits on the default model, CounterFact evaluation split: ROME's efficacy,
// paraphrase and neighborhood scores (Meng et al. 2022, section 4.2, computed by @llmedit/evaluate's
// CounterFact suite, with 95% bootstrap intervals) and seconds per edit (issue 5, items 4 and 8).
// Run: pnpm --filter @llmedit/rome bench [--n 50] [--method rome|r-rome] [--preset default]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentBackend, edit, initBackend } from '@llmedit/core';
import { loadCounterFactSplit } from '@llmedit/datasets';
import { aggregate, evaluateRequests, formatAggregates, type RecordResult } from '@llmedit/evaluate';
import { commandLineOrExit, loadPretrained } from '@llmedit/pretrained';
import { rome, rRome } from '../src/method.js';
import { type RomePresetName, romePreset } from '../src/presets.js';

const USAGE = `Usage: pnpm --filter @llmedit/rome bench [--n 50] [--method rome|r-rome] [--preset default]`;
const { values: flags } = commandLineOrExit('rome bench', USAGE, {
  n: { type: 'string' },
  method: { type: 'string' },
  preset: { type: 'string' },
});

function argument(name: 'n' | 'method' | 'preset', fallback: string): string {
  return flags[name] ?? fallback;
}

const SUITE = { suites: ['counterfact'] } as const;
const METRICS = ['ES', 'PS', 'NS'] as const;

/** ES, PS and NS over the records: mean, 95% interval and count. */
function summarise(results: readonly RecordResult[]) {
  const report = aggregate(results);
  return Object.fromEntries(METRICS.map((name) => [name, report[name]]));
}

const format = (results: readonly RecordResult[]) => formatAggregates(aggregate(results), METRICS);

const n = Number(argument('n', '50'));
const methodId = argument('method', 'rome');
const presetName = argument('preset', 'default') as RomePresetName;
const method = methodId === 'r-rome' ? rRome : rome;
const hparams = methodId === 'r-rome' ? romePreset(presetName, 'r-rome') : romePreset(presetName);

await initBackend({ prefer: ['wasm'] });
const model = loadPretrained('default');
const requests = loadCounterFactSplit('eval').requests.slice(0, n);
console.log(
  `${method.id} on ${model.modelId} (${currentBackend()?.name}), ${requests.length} CounterFact eval records`,
);
console.log(`hparams ${JSON.stringify(hparams)}`);

const pre = evaluateRequests(model, requests, SUITE);
const before = summarise(pre);
const post: RecordResult[] = [];
const seconds: number[] = [];
for (const [i, request] of requests.entries()) {
  const start = performance.now();
  const result = await edit({ method: method as typeof rome, model, requests: request, hparams });
  seconds.push((performance.now() - start) / 1000);
  post.push(...evaluateRequests(model, [request], SUITE));
  result.revert();
  result.dispose();
  if ((i + 1) % 10 === 0) console.log(`  ${i + 1}/${requests.length}: ${format(post)}`);
}

const after = summarise(post);
const sorted = [...seconds].sort((a, b) => a - b);
const warm = seconds.slice(1);
const summary = {
  method: method.id,
  model: model.modelId,
  backend: currentBackend()?.name,
  records: requests.length,
  preset: presetName,
  before,
  after,
  secondsPerEdit: {
    first: seconds[0],
    meanAfterFirst: warm.reduce((s, v) => s + v, 0) / Math.max(warm.length, 1),
    median: sorted[Math.floor(sorted.length / 2)],
  },
};
console.log(
  `before: ${format(pre)}\nafter:  ${format(post)}\n` +
    `s/edit: first ${summary.secondsPerEdit.first?.toFixed(2)} (context templates, statistics), ` +
    `then mean ${summary.secondsPerEdit.meanAfterFirst.toFixed(3)}, median ${summary.secondsPerEdit.median?.toFixed(3)}`,
);
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  join('bench-results', `${method.id}-counterfact.json`),
  `${JSON.stringify(summary, null, 2)}\n`,
);
