// KN on the CounterFact evaluation split: ROME's probability comparisons (ES, PS, NS and the Score, their
// harmonic mean) before and after single edits, and the edit time.
// Run: pnpm --filter @llmedit/kn bench [default|micro] [--n=50] [--method=kn|kn-llmedit]
//   [--preset=gpt2|default|micro] [--layers=2,3]
//   default: the committed checkpoint. The preset defaults to the model's own (`default` or `micro`); the
//   method to `kn` (EasyEdit's rule).
import { type EditRequest, edit, initBackend } from '@llmedit/core';
import { loadCounterFactSplit } from '@llmedit/datasets';
import { aggregate, computePreEdit, evaluateRequests, type RecordResult } from '@llmedit/evaluate';
import type { CausalLM } from '@llmedit/models';
import { commandLineOrExit, loadPretrained } from '@llmedit/pretrained';
import {
  amplifyNeurons,
  eraseNeurons,
  findKnowledgeNeurons,
  type KnHparams,
  type KnInfo,
  type KnLlmeditPresetName,
  type KnPresetName,
  kn,
  knLlmedit,
  knLlmeditPreset,
  knPreset,
  suppressNeurons,
  targetProbability,
} from '../src/index.js';

const USAGE = `Usage: pnpm --filter @llmedit/kn bench [default|micro] [--n=50] [--method=kn|kn-llmedit]
   [--preset=gpt2|default|micro] [--layers=2,3]`;
const { values: flags, positionals } = commandLineOrExit(
  'kn bench',
  USAGE,
  {
    n: { type: 'string' },
    method: { type: 'string' },
    preset: { type: 'string' },
    layers: { type: 'string' },
  },
  1,
);

function option(name: 'n' | 'method' | 'preset' | 'layers'): string | undefined {
  return flags[name];
}

/**
 * Dai et al.'s section 4.3 experiment on each request's true fact: relative change of P(true answer) when
 * the fact's neurons are suppressed (activation 0), amplified (doubled) or erased (value slots zeroed).
 */
function neuronOperations(model: CausalLM, requests: readonly EditRequest[], hparams: KnHparams) {
  const changes = { suppress: [] as number[], amplify: [] as number[], erase: [] as number[] };
  for (const request of requests) {
    const truth = request.groundTruth as string;
    const { neurons } = findKnowledgeNeurons(model, [request.prompt], truth, hparams);
    if (neurons.length === 0) continue;
    const base = targetProbability(model, request.prompt, truth);
    const relative = (p: number) => (p - base) / base;
    changes.suppress.push(
      relative(targetProbability(model, request.prompt, truth, suppressNeurons(model, neurons))),
    );
    changes.amplify.push(
      relative(targetProbability(model, request.prompt, truth, amplifyNeurons(model, neurons))),
    );
    const patch = eraseNeurons(model, neurons);
    changes.erase.push(relative(targetProbability(model, request.prompt, truth)));
    patch.restore();
    patch.dispose();
  }
  return changes;
}

const backend = await initBackend({ prefer: ['wasm'] });
// The default checkpoint is committed, so it is always there.
const name = positionals[0] === 'micro' ? 'micro' : 'default';
const model = loadPretrained(name);
const n = Number(option('n') ?? 50);
const presetName = (option('preset') ?? name) as KnPresetName;
const layers = option('layers')
  ?.split(',')
  .map((l) => Number(l));
const llmedit = option('method') === 'kn-llmedit';
const method = llmedit ? knLlmedit : kn;
const hparams = {
  ...(llmedit ? knLlmeditPreset(presetName as KnLlmeditPresetName) : knPreset(presetName)),
  ...(layers === undefined ? {} : { layers }),
};
const requests = loadCounterFactSplit('eval').requests.slice(0, n);
const suites = ['counterfact'] as const;

const pre = computePreEdit(model, requests, { suites });
const post: RecordResult[] = [];
const neurons: number[] = [];
const times: number[] = [];
for (const [i, request] of requests.entries()) {
  const result = await edit({ method, model, requests: [request], hparams });
  times.push(result.steps[0]!.wallMs);
  neurons.push((result.outcomes[0]!.info as unknown as KnInfo).neurons.length);
  post.push(...evaluateRequests(model, [request], { suites, pre: [pre[i]!] }));
  result.revert();
  result.dispose();
  if ((i + 1) % 10 === 0) process.stderr.write(`edited ${i + 1}/${requests.length}\n`);
}

const before = aggregate(pre.map((r) => r.result));
const after = aggregate(post);
const row = (label: string, report: typeof after) =>
  `| ${label} | ${['ES', 'PS', 'NS', 'S']
    .map((m) => {
      const metric = report[m];
      return metric === undefined
        ? '-'
        : `${metric.mean.toFixed(3)} [${metric.interval.low.toFixed(2)}, ${metric.interval.high.toFixed(2)}]`;
    })
    .join(' | ')} |`;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sorted = [...times].sort((a, b) => a - b);
console.log(
  `KN on CounterFact eval (first ${requests.length}), model ${name} (${model.modelId}), backend ${backend.name}`,
);
console.log(`method ${method.id}, preset ${presetName}, hparams: ${JSON.stringify(hparams)}\n`);
console.log('| | ES | PS | NS | S |\n|---|---|---|---|---|');
console.log(row('pre-edit', before));
console.log(row(method.id, after));
console.log(
  `\nneurons per edit: mean ${mean(neurons).toFixed(1)}, min ${Math.min(...neurons)}, max ${Math.max(...neurons)}; ` +
    `edit time: mean ${(mean(times) / 1000).toFixed(3)} s, median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(3)} s`,
);
const operations = neuronOperations(model, requests, hparams);
const percent = (xs: number[]) => `${(100 * mean(xs)).toFixed(1)}%`;
console.log(
  `\nP(true answer) when the fact's neurons are operated on (Dai et al. 4.3; ${operations.suppress.length} facts with neurons): ` +
    `suppress ${percent(operations.suppress)}, amplify ${percent(operations.amplify)}, erase ${percent(operations.erase)}`,
);
model.dispose();
