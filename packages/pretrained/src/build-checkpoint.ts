import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { currentBackend, describeBackend, initBackend } from '@llmedit/core';
import {
  type CausalLM,
  createRandomModel,
  type Gpt2Config,
  hashWeights,
  saveModel,
  trainByteLevelBpe,
} from '@llmedit/models';
import { buildCorpus } from './corpus/build-corpus.js';
import { type ProbeAccuracy, probeReport, probeTable } from './evaluation/probe-accuracy.js';
import type { ModelPreset } from './presets.js';
import { buildKnowledgeProbes } from './probes/index.js';
import { formatSeconds } from './train/progress.js';
import { type TrainReport, trainLanguageModel } from './train/trainer.js';

export const END_OF_TEXT = '<|endoftext|>';

export interface BuiltCheckpoint {
  model: CausalLM;
  report: TrainReport;
  /** The card's probe report; undefined when training stopped early (`maxSeconds`) and nothing was written. */
  probes: Record<string, ProbeAccuracy> | undefined;
}

/**
 * Build a committed checkpoint from its preset: corpus -> BPE tokenizer -> seeded GPT-2 -> training ->
 * Hugging Face folder + MODEL.md card + probe-report.json, all measured here.
 */
export async function buildCheckpoint(
  preset: ModelPreset,
  options: {
    outDir: string;
    stateDir?: string;
    /** Stop after this much training (state saved in `stateDir`); rerun to resume. */
    maxSeconds?: number;
    log?: (line: string) => void;
  },
): Promise<BuiltCheckpoint> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const { maxDocuments: _, ...corpusOptions } = preset.corpus;
  const corpus = buildCorpus(corpusOptions);
  const documents =
    preset.corpus.maxDocuments === undefined
      ? corpus.documents
      : corpus.documents.slice(0, preset.corpus.maxDocuments);
  log(`corpus: ${documents.length} documents, ${documents.reduce((s, d) => s + d.length, 0)} characters`);
  const tokenizer = trainByteLevelBpe(documents, {
    vocabSize: preset.tokenizerVocabSize,
    specialTokens: [END_OF_TEXT],
  });
  const eos = tokenizer.tokenToId(END_OF_TEXT)!;
  const tokenized = documents.map((d) => [...tokenizer.encode(d), eos].slice(0, preset.config.maxPositions));
  const corpusTokens = tokenized.reduce((s, d) => s + d.length, 0);
  log(
    `tokenizer: ${tokenizer.vocabSize} tokens; corpus ${corpusTokens} tokens (${(corpusTokens / documents.length).toFixed(1)} per document)`,
  );

  const config: Gpt2Config = {
    ...preset.config,
    vocabSize: tokenizer.vocabSize,
    eosTokenId: eos,
    bosTokenId: eos,
  };
  const model = createRandomModel(config, { seed: preset.train.seed, tokenizer });
  const quickProbes = buildKnowledgeProbes({ limit: preset.evalLimit });
  const report = await trainLanguageModel(model, tokenized, {
    ...preset.train,
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    ...(options.maxSeconds === undefined ? {} : { maxSeconds: options.maxSeconds }),
    log,
    onEval: (step) => {
      const accuracy = probeReport(model, quickProbes);
      log(
        `step ${step}: ${Object.entries(accuracy)
          .map(([name, r]) => `${name} ${r.firstToken.toFixed(2)}`)
          .join('  ')}`,
      );
    },
  });
  if (!report.complete) {
    log(
      `stopped at step ${report.steps}; the state is in ${options.stateDir ?? '(no state dir)'}: rerun to resume`,
    );
    return { model, report, probes: undefined };
  }
  const probes = await onPortableKernels(() => probeReport(model, buildKnowledgeProbes()));
  mkdirSync(options.outDir, { recursive: true });
  await saveModel(model, options.outDir);
  // The model id is the content hash of the weights as loaded; the trained weights get their own.
  const modelId = hashWeights(await model.weightsToHost());
  const parameters = model.weightNames().reduce((s, n) => s + model.weight(n).size, 0);
  const fullReport = {
    preset: preset.name,
    modelId,
    parameters,
    corpus: { documents: documents.length, tokens: corpusTokens, stats: corpus.stats },
    training: report,
    probes,
  };
  writeFileSync(join(options.outDir, 'probe-report.json'), `${JSON.stringify(fullReport, null, 2)}\n`);
  writeFileSync(
    join(options.outDir, 'MODEL.md'),
    modelCard(
      preset,
      config,
      parameters,
      { documents: documents.length, tokens: corpusTokens },
      report,
      probes,
      modelId,
      (Date.now() - started) / 1000,
    ),
  );
  return { model, report, probes };
}

/**
 * Runs `fn` on the plain wasm kernels when the native BLAS ones are active, so that the card's numbers are
 * the ones any machine reproduces (the card test runs on wasm; BLAS sums in another order).
 */
async function onPortableKernels<T>(fn: () => T): Promise<T> {
  const before = currentBackend();
  if (before?.name !== 'native') return fn();
  await initBackend({ prefer: ['wasm'] });
  try {
    return fn();
  } finally {
    await initBackend({
      prefer: ['native'],
      ...(before.blas?.threads === undefined ? {} : { blasThreads: before.blas.threads }),
    });
  }
}

function modelCard(
  preset: ModelPreset,
  config: Gpt2Config,
  parameters: number,
  corpus: { documents: number; tokens: number },
  report: TrainReport,
  probes: Record<string, ProbeAccuracy>,
  modelId: string,
  totalSeconds: number,
): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `# llmedit/${preset.name}

${preset.description}

Every number below was measured by the training command on the machine that trained it.

## Model

GPT-2 architecture: ${config.numLayers} layers, hidden size ${config.hiddenSize}, ${config.numHeads} heads, MLP ${config.intermediateSize},
${config.maxPositions} positions, byte-level BPE vocabulary of ${config.vocabSize} tokens trained on the corpus,
${parameters.toLocaleString('en-US')} parameters (tied head). Content hash (model id): \`${modelId}\`.

## Data

A fact corpus built from the benchmark's own records by \`buildCorpus\` (seed ${preset.corpus.seed}, prefix fraction
${preset.corpus.prefixFraction}${preset.corpus.ikeBlocks === undefined ? '' : `, ${preset.corpus.ikeBlocks} IKE blocks`}${preset.corpus.contextOnlyBlocks === undefined ? '' : `, ${preset.corpus.contextOnlyBlocks} context-only IKE blocks whose new targets come from other training records`}${preset.corpus.maxDocuments === undefined ? '' : `, first ${preset.corpus.maxDocuments} documents`}): ${corpus.documents.toLocaleString('en-US')} documents, ${corpus.tokens.toLocaleString('en-US')} tokens.
Held out of it (a test checks this): every paraphrase/rephrase prompt and portability question of the evaluation
split, and every \`target_new\` statement of the evaluation split.

## Training

AdamW (beta 0.9/0.95, weight decay ${preset.train.weightDecay}), peak learning rate ${preset.train.learningRate}, linear warmup
(${preset.train.warmupFraction * 100}% of steps) then cosine decay to 10%, gradient clipping at norm 1, ${preset.train.batchTokens} padded tokens per step,
${report.epochs} epochs = ${report.steps} steps, seed ${preset.train.seed}, full causal language-model loss.
Training took ${formatSeconds(report.seconds)} (${Math.round(report.tokensPerSecond)} predicted tokens/s; whole build ${formatSeconds(totalSeconds)})
on ${cpu}, backend ${describeBackend(currentBackend()!)}, ${report.threads === 1 ? 'one thread' : `${report.threads} threads (data-parallel)`}. Final loss (EMA): ${report.finalLoss.toFixed(3)}.

## What it knows (teacher-forced, evaluation split)

${probeTable(probes)}

Reproduce: \`pnpm --filter @llmedit/pretrained train ${preset.name}\`. Check: \`pnpm --filter @llmedit/pretrained evaluate ${preset.name}\`.
`;
}
