// MEMIT on the default model, CounterFact evaluation split: n facts edited in one batch, then ROME's
// efficacy, paraphrase and neighborhood scores for every fact (computed by @llmedit/evaluate's CounterFact
// suite, with 95% bootstrap intervals) and the time of the batch (issue 5, item 6).
// Run: pnpm --filter @llmedit/memit bench [--n 100] [--preset default]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentBackend, type EditRequest, edit, initBackend } from '@llmedit/core';
import { loadCounterFactSplit } from '@llmedit/datasets';
import { aggregate, evaluateRequests, formatAggregates } from '@llmedit/evaluate';
import type { CausalLM } from '@llmedit/models';
import { commandLineOrExit, loadPretrained } from '@llmedit/pretrained';
import { memit } from '../src/method.js';
import { type MemitPresetName, memitPreset } from '../src/presets.js';

const USAGE = `Usage: pnpm --filter @llmedit/memit bench [--n 100] [--preset default]`;
const { values: flags } = commandLineOrExit('memit bench', USAGE, {
  n: { type: 'string' },
  preset: { type: 'string' },
});

function argument(name: 'n' | 'preset', fallback: string): string {
  return flags[name] ?? fallback;
}

const METRICS = ['ES', 'PS', 'NS'] as const;

/** ES, PS and NS over the records (mean, 95% interval and count), and their one-line summary. */
function counterfactScores(model: CausalLM, requests: readonly EditRequest[]) {
  const report = aggregate(evaluateRequests(model, requests, { suites: ['counterfact'] }));
  return {
    metrics: Object.fromEntries(METRICS.map((name) => [name, report[name]])),
    line: formatAggregates(report, METRICS),
  };
}

const n = Number(argument('n', '100'));
const presetName = argument('preset', 'default') as MemitPresetName;
const hparams = memitPreset(presetName);

await initBackend({ prefer: ['wasm'] });
const model = loadPretrained('default');
const requests = loadCounterFactSplit('eval').requests.slice(0, n);
console.log(
  `memit on ${model.modelId} (${currentBackend()?.name}), ${requests.length} CounterFact eval records in one batch`,
);
console.log(`hparams ${JSON.stringify(hparams)}`);

const before = counterfactScores(model, requests);
// Statistics are computed (or read) once per model and layer; time them apart from the edit.
const statsStart = performance.now();
const warmup = await edit({ method: memit, model, requests: requests.slice(0, 1), hparams });
warmup.revert();
warmup.dispose();
const warmupSeconds = (performance.now() - statsStart) / 1000;

const start = performance.now();
const result = await edit({
  method: memit,
  model,
  requests,
  mode: 'batch',
  hparams,
  context: { onProgress: (p) => console.log(`  ${p.stage}`) },
});
const seconds = (performance.now() - start) / 1000;
const after = counterfactScores(model, requests);
const info = result.outcomes[0]?.info;
result.revert();
result.dispose();

const summary = {
  method: 'memit',
  model: model.modelId,
  backend: currentBackend()?.name,
  records: requests.length,
  preset: presetName,
  before: before.metrics,
  after: after.metrics,
  batchSeconds: seconds,
  secondsPerEdit: seconds / requests.length,
  firstCallSeconds: warmupSeconds,
  info,
};
console.log(
  `before: ${before.line}\nafter:  ${after.line}\n` +
    `batch of ${requests.length}: ${seconds.toFixed(2)} s (${summary.secondsPerEdit.toFixed(3)} s/edit); ` +
    `first call (context templates, statistics, one edit): ${warmupSeconds.toFixed(2)} s`,
);
mkdirSync('bench-results', { recursive: true });
writeFileSync(join('bench-results', 'memit-counterfact.json'), `${JSON.stringify(summary, null, 2)}\n`);
