// Experiment (issue 11): does continued training on a fresh corpus (new IKE and context-only blocks, which the
// model cannot have memorised) raise the in-context probe? Prints the quick probes before and after.
// Usage: tsx --conditions=@llmedit/source bench/continue-training.ts CHECKPOINT CORPUS_SEED STEPS LR [contextOnlyBlocks]
// Measured: default, seed 2, 250 steps, lr 5e-4: inContext 0.300 -> 0.333, zsre 0.993 -> 0.940, nq 0.800 -> 0.667.
import { describeBackend, initBackend } from '@llmedit/core';
import { END_OF_TEXT } from '../src/build-checkpoint.js';
import { type CheckpointName, loadPretrained } from '../src/checkpoints.js';
import { commandLineOrExit } from '../src/cli/command-line.js';
import { buildCorpus } from '../src/corpus/build-corpus.js';
import { probeReport } from '../src/evaluation/probe-accuracy.js';
import { presets } from '../src/presets.js';
import { buildKnowledgeProbes } from '../src/probes/index.js';
import { trainLanguageModel } from '../src/train/trainer.js';

const USAGE =
  'Usage: pnpm exec tsx --conditions=@llmedit/source bench/continue-training.ts CHECKPOINT CORPUS_SEED STEPS LR [contextOnlyBlocks]';
const { positionals } = commandLineOrExit('continue-training', USAGE, {}, 5);
if (positionals.length < 4) {
  process.stderr.write(`continue-training: expected CHECKPOINT CORPUS_SEED STEPS LR\n\n${USAGE}\n`);
  process.exit(2);
}
const [name, seedArg, stepsArg, lrArg, ctxArg] = positionals;
const info = await initBackend();
const preset = presets.default!;
const model = loadPretrained(name as CheckpointName);
const tokenizer = model.requireTokenizer();
const { maxDocuments: _, ...corpusOptions } = preset.corpus;
const corpus = buildCorpus({
  ...corpusOptions,
  seed: Number(seedArg),
  ...(ctxArg ? { contextOnlyBlocks: Number(ctxArg) } : {}),
});
const eos = tokenizer.tokenToId(END_OF_TEXT)!;
const docs = corpus.documents.map((d) => [...tokenizer.encode(d), eos].slice(0, preset.config.maxPositions));
console.log(describeBackend(info), docs.length, 'docs');
const probes = buildKnowledgeProbes({ limit: 150 });
const show = (label: string) =>
  console.log(
    label,
    Object.entries(probeReport(model, probes))
      .map(([k, r]) => `${k} ${r.firstToken.toFixed(3)}`)
      .join(' '),
  );
show('before');
const steps = Number(stepsArg);
const report = await trainLanguageModel(model, docs, {
  ...preset.train,
  epochs: 1,
  learningRate: Number(lrArg),
  warmupFraction: 0.05,
  maxSteps: steps,
  evalEvery: 100000,
});
console.log(
  `trained ${report.steps} steps in ${report.seconds.toFixed(0)} s, loss ${report.finalLoss.toFixed(3)}`,
);
show('after');
