// MEMIT on the default model, CounterFact evaluation split: n facts edited in one batch, then ROME's
// efficacy, paraphrase and neighborhood scores for every fact (ES = P[p(new) > p(true)] on the rewrite
// prompt, PS on the paraphrases, NS = P[p(true) > p(new)] on the neighborhood prompts, p the mean
// per-token probability) and the time of the batch (issue 5, item 6).
// Run: pnpm --filter @llmedit/memit bench [--n 100] [--preset default]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentBackend, type EditRequest, edit, initBackend } from '@llmedit/core';
import { loadCounterFactSplit } from '@llmedit/datasets';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { memit } from '../src/method.js';
import { type MemitPresetName, memitPreset } from '../src/presets.js';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

interface Scores {
  es: number;
  ps: number;
  ns: number;
}

/** ROME's three probability comparisons for each record (fractions over its prompts), batched. */
function counterfactScores(model: CausalLM, requests: readonly EditRequest[]): Scores[] {
  const layout = requests.map((request) => ({
    request,
    paraphrase: [...(request.rephrasePrompts ?? [])],
    neighborhood: (request.locality?.neighborhood ?? []).map((p) => p.prompt),
  }));
  const pairs = layout.flatMap(({ request, paraphrase, neighborhood }) =>
    [request.prompt, ...paraphrase, ...neighborhood].flatMap((prompt) => [
      { prompt, target: request.targetNew },
      { prompt, target: request.groundTruth ?? '' },
    ]),
  );
  const scores = scoreTargets(model, pairs);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  let cursor = 0;
  return layout.map(({ paraphrase, neighborhood }) => {
    const count = 1 + paraphrase.length + neighborhood.length;
    const newBeats = Array.from({ length: count }, (_, i) => {
      const lpNew = mean(scores[cursor + 2 * i]?.logProbs ?? []);
      const lpTrue = mean(scores[cursor + 2 * i + 1]?.logProbs ?? []);
      return lpNew > lpTrue;
    });
    cursor += 2 * count;
    const fraction = (from: number, n: number, wantNew: boolean) =>
      n === 0 ? Number.NaN : newBeats.slice(from, from + n).filter((beats) => beats === wantNew).length / n;
    return {
      es: fraction(0, 1, true),
      ps: fraction(1, paraphrase.length, true),
      ns: fraction(1 + paraphrase.length, neighborhood.length, false),
    };
  });
}

function average(scores: Scores[]): Scores {
  const avg = (key: keyof Scores) => {
    const values = scores.map((s) => s[key]).filter((v) => !Number.isNaN(v));
    return values.reduce((s, v) => s + v, 0) / values.length;
  };
  return { es: avg('es'), ps: avg('ps'), ns: avg('ns') };
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

const before = average(counterfactScores(model, requests));
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
const after = average(counterfactScores(model, requests));
const info = result.outcomes[0]?.info;
result.revert();
result.dispose();

const summary = {
  method: 'memit',
  model: model.modelId,
  backend: currentBackend()?.name,
  records: requests.length,
  preset: presetName,
  before,
  after,
  batchSeconds: seconds,
  secondsPerEdit: seconds / requests.length,
  firstCallSeconds: warmupSeconds,
  info,
};
console.log(
  `before: ES ${before.es.toFixed(3)} PS ${before.ps.toFixed(3)} NS ${before.ns.toFixed(3)}\n` +
    `after:  ES ${after.es.toFixed(3)} PS ${after.ps.toFixed(3)} NS ${after.ns.toFixed(3)}\n` +
    `batch of ${requests.length}: ${seconds.toFixed(2)} s (${summary.secondsPerEdit.toFixed(3)} s/edit); ` +
    `first call (context templates, statistics, one edit): ${warmupSeconds.toFixed(2)} s`,
);
mkdirSync('bench-results', { recursive: true });
writeFileSync(join('bench-results', 'memit-counterfact.json'), `${JSON.stringify(summary, null, 2)}\n`);
