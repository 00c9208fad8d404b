// SERAC on the default model with the committed artifact, EasyEdit protocol (reference/easyedit.md 2.1-2.4):
// Reliability, Generalization, Locality (argmax agreement with the base model), Portability; the routing
// rates behind them; per-edit latency; the one-time cost (training, from the artifact, and loading); and the
// sequential memory at 1, 10 and 100 edits (every edit so far in one memory, all of them evaluated).
// Run: pnpm --filter @llmedit/serac bench [--n 50] [--datasets zsre,counterfact] [--sizes 1,10,100]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentBackend, type EditRequest, edit, initBackend } from '@llmedit/core';
import { loadSplit, type SplitDataset } from '@llmedit/datasets';
import {
  aggregate,
  computePreEdit,
  evaluateRequests,
  formatAggregates,
  type PreEditRecord,
  type RecordResult,
} from '@llmedit/evaluate';
import type { CausalLM } from '@llmedit/models';
import { commandLineOrExit, loadPretrained } from '@llmedit/pretrained';
import { loadSeracArtifact, type SeracArtifact } from '../src/artifact.js';
import { seracArtifactRef, seracCopy } from '../src/method.js';
import { seracPreset } from '../src/presets.js';
import { seracRoutes } from '../src/serac-model.js';

const USAGE = `Usage: pnpm --filter @llmedit/serac bench [--n 50] [--datasets zsre,counterfact] [--sizes 1,10,100]`;
const { values: flags } = commandLineOrExit('serac bench', USAGE, {
  n: { type: 'string' },
  datasets: { type: 'string' },
  sizes: { type: 'string' },
});

function argument(name: 'n' | 'datasets' | 'sizes', fallback: string): string {
  return flags[name] ?? fallback;
}

const n = Number(argument('n', '50'));
const datasets = argument('datasets', 'zsre,counterfact').split(',') as SplitDataset[];
const sizes = argument('sizes', '1,10,100').split(',').map(Number);
const hparams = seracPreset('default');
const METRICS = ['reliability', 'generalization', 'locality', 'portability'];
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);

await initBackend({ prefer: ['wasm'] });
const model = loadPretrained('default');
const ref = seracArtifactRef('default');
const loadStart = performance.now();
const loaded = loadSeracArtifact(ref.dir);
const loadMs = performance.now() - loadStart;
const { report } = loaded.config;
// The same artifact with the copy mechanism off (shares the counterfactual model; never disposed itself).
const noCopy: SeracArtifact = { ...loaded, config: { ...loaded.config, copyWeights: { next: 0, first: 0 } } };
console.log(`serac on default ${model.modelId} (${currentBackend()?.name}); artifact ${ref.dir}`);
console.log(
  `one-time cost: training ${(report.seconds / 60).toFixed(1)} min (classifier ${report.classifier.seconds.toFixed(0)} s, ` +
    `counterfactual model ${report.counterfactual.seconds.toFixed(0)} s, ${report.trainingRequests} training requests), ` +
    `loading ${loadMs.toFixed(0)} ms; copy weights ${JSON.stringify(loaded.config.copyWeights)}`,
);

/** Share of a record's prompts of one kind that the view routes to the counterfactual model. */
function routedShare(view: CausalLM, prompts: readonly string[]): number {
  if (prompts.length === 0) return Number.NaN;
  return seracRoutes(view, prompts).filter((r) => r.edit !== undefined).length / prompts.length;
}

function routing(view: CausalLM, requests: readonly EditRequest[]) {
  return {
    prompt: routedShare(
      view,
      requests.map((r) => r.prompt),
    ),
    rephrase: routedShare(
      view,
      requests.flatMap((r) => r.rephrasePrompts ?? []),
    ),
    locality: routedShare(
      view,
      requests.flatMap((r) => Object.values(r.locality ?? {}).flatMap((qs) => qs.map((q) => q.prompt))),
    ),
  };
}

const summary: Record<string, unknown> = {
  method: seracCopy.id,
  model: 'default',
  modelId: model.modelId,
  backend: currentBackend()?.name,
  n,
  hparams,
  oneTime: { trainingSeconds: report.seconds, loadMs, report },
  datasets: {},
};

/** Single edits with `artifact`: each alone, evaluated, then reverted before the next. */
async function singleEdits(
  artifact: SeracArtifact,
  requests: readonly EditRequest[],
  pre: readonly PreEditRecord[],
) {
  const results: RecordResult[] = [];
  const editMs: number[] = [];
  const routes: ReturnType<typeof routing>[] = [];
  for (const [i, request] of requests.entries()) {
    const result = await edit({
      method: seracCopy,
      model,
      requests: request,
      hparams,
      context: { artifact },
    });
    editMs.push(result.wallMs);
    results.push(...evaluateRequests(result.model, [request], { pre: [pre[i] as PreEditRecord] }));
    routes.push(routing(result.model, [request]));
    result.revert();
    result.dispose();
  }
  return { results, editMs, routes };
}

for (const dataset of datasets) {
  const all = loadSplit(dataset, 'eval');
  const requests = all.slice(0, n);
  const pre = computePreEdit(model, all.slice(0, Math.max(n, ...sizes)));
  const { results: post, editMs, routes } = await singleEdits(loaded, requests, pre);
  const single = aggregate(post);
  const routed = {
    prompt: mean(routes.map((r) => r.prompt)),
    rephrase: mean(routes.map((r) => r.rephrase).filter((x) => !Number.isNaN(x))),
    locality: mean(routes.map((r) => r.locality).filter((x) => !Number.isNaN(x))),
  };
  console.log(`${dataset}, single edits (n = ${requests.length}): ${formatAggregates(single, METRICS)}`);
  console.log(
    `  routed to the counterfactual model: prompts ${routed.prompt.toFixed(3)}, rephrases ${routed.rephrase.toFixed(3)}, ` +
      `locality prompts ${routed.locality.toFixed(3)}`,
  );
  console.log(`  edit latency (artifact loaded once, above): mean ${mean(editMs).toFixed(1)} ms per edit`);
  // Ablation: the same edits with the counterfactual model's copy mechanism off (its own predictions only).
  const { results: withoutCopy } = await singleEdits(noCopy, requests, pre);
  const ablation = aggregate(withoutCopy);
  console.log(`  without the copy mechanism: ${formatAggregates(ablation, METRICS)}`);

  // Sequential: one memory of `size` edits, every one of them evaluated with all of them in memory.
  const sequential: Record<string, unknown> = {};
  for (const size of sizes) {
    const batch = all.slice(0, size);
    const started = performance.now();
    const result = await edit({
      method: seracCopy,
      model,
      requests: batch,
      mode: 'sequential',
      hparams,
      context: { artifact: loaded },
    });
    const editSeconds = (performance.now() - started) / 1000;
    const evalStart = performance.now();
    const results = evaluateRequests(result.model, batch, { pre: pre.slice(0, size) });
    const evalSeconds = (performance.now() - evalStart) / 1000;
    const r = routing(result.model, batch);
    result.revert();
    result.dispose();
    const agg = aggregate(results);
    console.log(
      `  sequential, ${String(size).padStart(3)} edits in memory: ${formatAggregates(agg, METRICS)}  ` +
        `(routed: rephrases ${r.rephrase.toFixed(3)}, locality ${r.locality.toFixed(3)}; edits ${editSeconds.toFixed(1)} s, evaluation ${evalSeconds.toFixed(1)} s)`,
    );
    sequential[size] = {
      ...Object.fromEntries(METRICS.map((m) => [m, agg[m]?.mean])),
      routed: r,
      editSeconds,
      evalSeconds,
    };
  }
  (summary.datasets as Record<string, unknown>)[dataset] = {
    records: requests.length,
    single: Object.fromEntries(METRICS.map((m) => [m, single[m]])),
    singleWithoutCopy: Object.fromEntries(METRICS.map((m) => [m, ablation[m]])),
    routed,
    latency: { editMsMean: mean(editMs) },
    sequential,
  };
}

mkdirSync('bench-results', { recursive: true });
const file = join('bench-results', 'serac-default.json');
writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`wrote ${file}`);
loaded.dispose();
model.dispose();
