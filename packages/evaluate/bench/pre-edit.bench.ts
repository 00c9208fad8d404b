// Speed of the pre-edit evaluation of the whole evaluation split (300 CounterFact + 300 zsRE requests):
// every pre-edit metric (EasyEdit reliability, generalization, portability, fluency = one top-5 sample of 100
// tokens per request, and the locality reference; ROME's ES..NM) in one call sharded over worker threads,
// then optionally ROME's GE generations (issue 4, item 4).
// Run: pnpm --filter @llmedit/evaluate bench [default|micro|default-shape] [--threads=N] [--ge]
//   default: the committed checkpoint.
//   default-shape: random weights with the default model's shape and a tokenizer trained exactly like the
//   default one (same corpus, same vocabulary size): the same token counts and speed, for timing only.
import { initBackend } from '@llmedit/core';
import { counterFactToRequest, loadCounterFactSplit, loadZsreSplit } from '@llmedit/datasets';
import { type CausalLM, createModel, randomWeights, trainByteLevelBpe } from '@llmedit/models';
import { buildCorpus, defaultPreset, END_OF_TEXT, loadPretrained } from '@llmedit/pretrained';
import { aggregate, computePreEditParallel, type EvaluationRequest, sampleTexts } from '../src/index.js';

function defaultShaped(): CausalLM {
  const corpus = buildCorpus({
    seed: defaultPreset.corpus.seed,
    prefixFraction: defaultPreset.corpus.prefixFraction,
  });
  const tokenizer = trainByteLevelBpe(corpus.documents, {
    vocabSize: defaultPreset.tokenizerVocabSize,
    specialTokens: [END_OF_TEXT],
  });
  const eos = tokenizer.tokenToId(END_OF_TEXT)!;
  const config = {
    ...defaultPreset.config,
    vocabSize: tokenizer.vocabSize,
    eosTokenId: eos,
    bosTokenId: eos,
  };
  return createModel(config, randomWeights(config, 1), tokenizer);
}

/** Wall-clock and CPU seconds (all threads) of `body`: CPU time shows how much of the wall time other processes took. */
async function timedAsync<T>(body: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await body();
  const cpu = process.cpuUsage(cpu0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

const args = process.argv.slice(2);
const backend = await initBackend({ prefer: ['wasm'] });
const choice = args.find((a) => !a.startsWith('--'));
const checkpoint = choice === 'micro' ? 'micro' : 'default';
const model = choice === 'default-shape' ? defaultShaped() : loadPretrained(checkpoint);
const name = choice === 'default-shape' ? 'default-shape (random weights)' : checkpoint;
const c = model.config;
console.log(
  `backend ${backend.name}; model ${name}: ${c.numLayers} layers, hidden ${c.hiddenSize}, vocab ${c.vocabSize}`,
);

const counterfact = loadCounterFactSplit('eval').records;
const requests: EvaluationRequest[] = [
  ...counterfact.map((r) => ({ ...counterFactToRequest(r), generationPrompts: r.generationPrompts })),
  ...loadZsreSplit('eval').requests,
];
const n = requests.length;
const line = (what: string, t: { wall: number; cpu: number }) =>
  console.log(
    `${what}: ${t.wall.toFixed(1)} s wall (${t.cpu.toFixed(1)} s CPU) = ${(n / t.wall).toFixed(1)} records/s`,
  );

const threadsArg = args.find((a) => a.startsWith('--threads='));
const threads = threadsArg === undefined ? 2 : Number(threadsArg.slice('--threads='.length));
const all = await timedAsync(() =>
  computePreEditParallel(model, requests, { suites: ['easyedit', 'counterfact'], fluency: true, threads }),
);
line(`all pre-edit metrics (fluency included), ${n} records, ${threads} thread(s)`, all);

const report = aggregate(
  all.value.map((p) => p.result),
  { seed: 1 },
);
for (const metric of ['reliability', 'generalization', 'portability', 'fluency', 'ES', 'PS', 'NS', 'S']) {
  const m = report[metric];
  if (m === undefined) continue;
  console.log(
    `  ${metric.padEnd(14)} ${m.mean.toFixed(3)} [${m.interval.low.toFixed(3)}, ${m.interval.high.toFixed(3)}] ` +
      `n=${m.n} (${m.tag})`,
  );
}

if (args.includes('--ge')) {
  const items = counterfact.flatMap((r) =>
    r.generationPrompts.map((prompt, j) => ({ prompt, key: `ge\u0000${j}\u0000${prompt}` })),
  );
  const ge = await timedAsync(async () => sampleTexts(model, items, 42));
  console.log(
    `GE generations (${items.length} texts): ${ge.wall.toFixed(1)} s wall (${ge.cpu.toFixed(1)} s CPU)`,
  );
}
