// IKE on the default model, EasyEdit protocol (reference/easyedit.md sections 2.1-2.3 and 2.8): Reliability
// and Generalization = teacher-forced token accuracy of target_new after the prompt / its rephrases, read
// with the IKE context; Locality = agreement of the argmax tokens with context vs. without (the base
// model); plus seconds per edit. Single edits (each edit alone, reverted before the next) by default.
// Run: pnpm --filter @llmedit/ike bench [--n 50] [--preset default|micro] [--model default|micro]
//        [--datasets zsre,counterfact] [--mode single|sequential] [--k 4] [--order similar-first]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentBackend, edit, initBackend } from '@llmedit/core';
import { loadSplit, type SplitDataset } from '@llmedit/datasets';
import {
  aggregate,
  computePreEdit,
  evaluateRequests,
  type PreEditRecord,
  type RecordResult,
} from '@llmedit/evaluate';
import { type CheckpointName, commandLineOrExit, loadPretrained } from '@llmedit/pretrained';
import type { DemoOrder } from '../src/hparams.js';
import { ike } from '../src/method-node.js';
import { type IkePresetName, ikePreset } from '../src/presets.js';

const USAGE = `Usage: pnpm --filter @llmedit/ike bench [--n 50] [--preset default|micro] [--model default|micro]
        [--datasets zsre,counterfact] [--mode single|sequential] [--k 4] [--order similar-first]`;
const { values: flags } = commandLineOrExit('ike bench', USAGE, {
  n: { type: 'string' },
  preset: { type: 'string' },
  model: { type: 'string' },
  datasets: { type: 'string' },
  mode: { type: 'string' },
  k: { type: 'string' },
  order: { type: 'string' },
});

function argument(
  name: 'n' | 'preset' | 'model' | 'datasets' | 'mode' | 'k' | 'order',
  fallback: string,
): string {
  return flags[name] ?? fallback;
}

const n = Number(argument('n', '50'));
const modelName = argument('model', 'default') as CheckpointName;
const presetName = argument('preset', modelName) as IkePresetName;
const datasets = argument('datasets', 'zsre,counterfact').split(',') as SplitDataset[];
const mode = argument('mode', 'single') as 'single' | 'sequential';
const hparams = {
  ...ikePreset(presetName),
  ...(flags.k !== undefined ? { k: Number(argument('k', '4')) } : {}),
  ...(flags.order !== undefined ? { demoOrder: argument('order', 'similar-first') as DemoOrder } : {}),
};
const METRICS = ['reliability', 'generalization', 'locality', 'portability'] as const;

await initBackend({ prefer: ['wasm'] });
const model = loadPretrained(modelName);
console.log(`ike on ${modelName} ${model.modelId} (${currentBackend()?.name}), ${mode} edits, n = ${n}`);
console.log(`hparams ${JSON.stringify(hparams)}`);

const summary: Record<string, unknown> = {
  method: ike.id,
  model: modelName,
  modelId: model.modelId,
  backend: currentBackend()?.name,
  mode,
  n,
  hparams,
  datasets: {},
};

function table(label: string, results: readonly RecordResult[]): Record<string, number> {
  const report = aggregate(results);
  const row: Record<string, number> = {};
  const parts: string[] = [];
  for (const metric of METRICS) {
    const value = report[metric];
    if (value === undefined) continue;
    row[metric] = value.mean;
    parts.push(
      `${metric} ${value.mean.toFixed(3)} [${value.interval.low.toFixed(3)}, ${value.interval.high.toFixed(3)}]`,
    );
  }
  console.log(`  ${label}: ${parts.join('  ')}`);
  return row;
}

for (const dataset of datasets) {
  const requests = loadSplit(dataset, 'eval').slice(0, n);
  // Without the context: the base model (the locality reference, and the "pre" numbers of section 2.8).
  const pre: PreEditRecord[] = computePreEdit(model, requests);
  const post: RecordResult[] = [];
  const editMs: number[] = [];
  const evalMs: number[] = [];
  if (mode === 'single') {
    for (const [i, request] of requests.entries()) {
      const result = await edit({ method: ike, model, requests: request, hparams });
      editMs.push(result.wallMs);
      const t0 = performance.now();
      post.push(evaluateRequests(result.model, [request], { pre: [pre[i]!] })[0]!);
      evalMs.push(performance.now() - t0);
      result.revert();
      result.dispose();
    }
  } else {
    // Every fact in one growing memory; evaluated at the end, each input read with the fact it names.
    const result = await edit({ method: ike, model, requests, mode: 'sequential', hparams });
    for (const step of result.steps) editMs.push(step.wallMs);
    const t0 = performance.now();
    post.push(...evaluateRequests(result.model, requests, { pre }));
    evalMs.push((performance.now() - t0) / requests.length);
    result.revert();
    result.dispose();
  }
  console.log(`${dataset} (n = ${requests.length}):`);
  const without = table(
    'without context (base)',
    pre.map((p) => p.result),
  );
  const withContext = table('with IKE context      ', post);
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
  const sorted = [...editMs].sort((a, b) => a - b);
  const latency = {
    editMsFirst: editMs[0],
    editMsMeanAfterFirst: mean(editMs.slice(1)),
    editMsMedian: sorted[Math.floor(sorted.length / 2)],
    evaluateMsPerRecord: mean(evalMs),
  };
  console.log(
    `  edit: first ${latency.editMsFirst?.toFixed(1)} ms (demonstration store), then mean ` +
      `${latency.editMsMeanAfterFirst.toFixed(1)} ms, median ${latency.editMsMedian?.toFixed(1)} ms; ` +
      `evaluation ${latency.evaluateMsPerRecord.toFixed(0)} ms per record`,
  );
  (summary.datasets as Record<string, unknown>)[dataset] = {
    records: requests.length,
    withoutContext: without,
    withContext,
    latency,
  };
}

mkdirSync('bench-results', { recursive: true });
const file = join('bench-results', `ike-${modelName}-${mode}.json`);
writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`wrote ${file}`);
