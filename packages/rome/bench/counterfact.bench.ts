// ROME / R-ROME single edits on the default model, CounterFact evaluation split: ROME's efficacy,
// paraphrase and neighborhood scores (Meng et al. 2022, section 4.2: ES = P[p(new) > p(true)] on the
// rewrite prompt, PS on the paraphrases, NS = P[p(true) > p(new)] on the neighborhood prompts, with p the
// mean per-token probability of each target) and seconds per edit (issue 5, items 4 and 8).
// Run: pnpm --filter @llmedit/rome bench [--n 50] [--method rome|r-rome] [--preset default]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentBackend, type EditRequest, edit, initBackend } from '@llmedit/core';
import { loadCounterFactSplit } from '@llmedit/datasets';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { rome, rRome } from '../src/method.js';
import { type RomePresetName, romePreset } from '../src/presets.js';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

interface Scores {
  es: number;
  ps: number;
  ns: number;
}

/** ROME's three probability comparisons for one record (fractions over its prompts). */
function counterfactScores(model: CausalLM, request: EditRequest): Scores {
  const truth = request.groundTruth ?? '';
  const rewrite = [request.prompt];
  const paraphrase = [...(request.rephrasePrompts ?? [])];
  const neighborhood = (request.locality?.neighborhood ?? []).map((p) => p.prompt);
  const prompts = [...rewrite, ...paraphrase, ...neighborhood];
  const scores = scoreTargets(
    model,
    prompts.flatMap((prompt) => [
      { prompt, target: request.targetNew },
      { prompt, target: truth },
    ]),
  );
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const newBeats = prompts.map((_, i) => {
    const lpNew = mean(scores[2 * i]?.logProbs ?? []);
    const lpTrue = mean(scores[2 * i + 1]?.logProbs ?? []);
    return lpNew > lpTrue;
  });
  const fraction = (from: number, count: number, wantNew: boolean) =>
    count === 0
      ? Number.NaN
      : newBeats.slice(from, from + count).filter((beats) => beats === wantNew).length / count;
  return {
    es: fraction(0, 1, true),
    ps: fraction(1, paraphrase.length, true),
    ns: fraction(1 + paraphrase.length, neighborhood.length, false),
  };
}

function average(scores: Scores[]): Scores {
  const avg = (key: keyof Scores) => {
    const values = scores.map((s) => s[key]).filter((v) => !Number.isNaN(v));
    return values.reduce((s, v) => s + v, 0) / values.length;
  };
  return { es: avg('es'), ps: avg('ps'), ns: avg('ns') };
}

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

const pre: Scores[] = requests.map((request) => counterfactScores(model, request));
const post: Scores[] = [];
const seconds: number[] = [];
for (const [i, request] of requests.entries()) {
  const start = performance.now();
  const result = await edit({ method: method as typeof rome, model, requests: request, hparams });
  seconds.push((performance.now() - start) / 1000);
  post.push(counterfactScores(model, request));
  result.revert();
  result.dispose();
  if ((i + 1) % 10 === 0) {
    const s = average(post);
    console.log(
      `  ${i + 1}/${requests.length}: ES ${s.es.toFixed(3)} PS ${s.ps.toFixed(3)} NS ${s.ns.toFixed(3)}`,
    );
  }
}

const before = average(pre);
const after = average(post);
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
  `before: ES ${before.es.toFixed(3)} PS ${before.ps.toFixed(3)} NS ${before.ns.toFixed(3)}\n` +
    `after:  ES ${after.es.toFixed(3)} PS ${after.ps.toFixed(3)} NS ${after.ns.toFixed(3)}\n` +
    `s/edit: first ${summary.secondsPerEdit.first?.toFixed(2)} (context templates, statistics), ` +
    `then mean ${summary.secondsPerEdit.meanAfterFirst.toFixed(3)}, median ${summary.secondsPerEdit.median?.toFixed(3)}`,
);
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  join('bench-results', `${method.id}-counterfact.json`),
  `${JSON.stringify(summary, null, 2)}\n`,
);
