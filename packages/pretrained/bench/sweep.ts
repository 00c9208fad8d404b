// Short measured sweep of the default model's shape (issue 11): the v2 corpus and schedule, each shape
// trained for the same number of steps on 2 threads; prints throughput, loss and quick probe accuracies.
// Usage: pnpm --filter @llmedit/pretrained sweep STEPS LxD [LxD ...]   e.g. sweep 200 8x128 8x192 12x128
import { describeBackend, initBackend } from '@llmedit/core';
import { createRandomModel, trainByteLevelBpe } from '@llmedit/models';
import { END_OF_TEXT } from '../src/build-checkpoint.js';
import { commandLineOrExit } from '../src/cli/command-line.js';
import { buildCorpus } from '../src/corpus/build-corpus.js';
import { probeReport } from '../src/evaluation/probe-accuracy.js';
import { presets } from '../src/presets.js';
import { buildKnowledgeProbes } from '../src/probes/index.js';
import { trainLanguageModel } from '../src/train/trainer.js';

const USAGE =
  'Usage: pnpm --filter @llmedit/pretrained sweep STEPS LxD [LxD ...]   e.g. sweep 200 8x128 8x192 12x128';
const { positionals } = commandLineOrExit('sweep', USAGE, {}, Number.POSITIVE_INFINITY);
const steps = Number(positionals[0]);
const shapes = positionals.slice(1).map((s) => s.split('x').map(Number) as [number, number]);
if (
  !(Number.isInteger(steps) && steps > 0) ||
  shapes.length === 0 ||
  shapes.some((s) => s.length !== 2 || s.some((v) => !(v > 0)))
) {
  process.stderr.write(`sweep: expected STEPS (a positive integer) and at least one LxD shape\n\n${USAGE}\n`);
  process.exit(2);
}
const info = await initBackend();
const preset = presets.default!;
const { maxDocuments: _, ...corpusOptions } = preset.corpus;
let t = Date.now();
const corpus = buildCorpus(corpusOptions);
const tokenizer = trainByteLevelBpe(corpus.documents, {
  vocabSize: preset.tokenizerVocabSize,
  specialTokens: [END_OF_TEXT],
});
const eos = tokenizer.tokenToId(END_OF_TEXT)!;
const docs = corpus.documents.map((d) => [...tokenizer.encode(d), eos].slice(0, preset.config.maxPositions));
const tokens = docs.reduce((s, d) => s + d.length, 0);
console.log(
  `${describeBackend(info)}; corpus ${docs.length} documents, ${tokens} tokens (${JSON.stringify(corpusOptions)}), built in ${((Date.now() - t) / 1000).toFixed(0)} s`,
);
const probes = buildKnowledgeProbes({ limit: 100 });
for (const [layers, d] of shapes) {
  const model = createRandomModel(
    {
      ...preset.config,
      numLayers: layers,
      hiddenSize: d,
      numHeads: d / 32,
      intermediateSize: 4 * d,
      vocabSize: tokenizer.vocabSize,
      eosTokenId: eos,
      bosTokenId: eos,
    },
    { seed: 1, tokenizer },
  );
  const params = model.weightNames().reduce((s, n) => s + model.weight(n).size, 0);
  t = Date.now();
  const r = await trainLanguageModel(model, docs, { ...preset.train, maxSteps: steps, log: () => {} });
  const p = probeReport(model, probes);
  console.log(
    `${layers}x${d} (${(params / 1e6).toFixed(2)} M): ${r.steps} steps of ${preset.train.epochs} epochs' schedule in ${((Date.now() - t) / 1000).toFixed(0)} s, ${r.tokensPerSecond.toFixed(0)} tok/s on ${r.threads} threads, loss ${r.finalLoss.toFixed(3)}; ` +
      Object.entries(p)
        .map(([k, v]) => `${k} ${v.firstToken.toFixed(2)}`)
        .join(' '),
  );
  model.dispose();
}
