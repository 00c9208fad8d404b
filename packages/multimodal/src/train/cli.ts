// pnpm --filter @llmedit/multimodal train [--steps N] [--minutes M] [--work DIR] [--out DIR] [--eval-scenes N]
// Trains the default VLM's vision tower and projector in front of the frozen default language model, resumably,
// then writes the checkpoint folder and its card (MODEL.md) with the numbers measured here.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeBackend, initBackend } from '@llmedit/core';
import { renderSceneImage, sceneSeeds } from '@llmedit/datasets';
import { commandLineOrExit, loadPretrained } from '@llmedit/pretrained/node';
import { numImageTokens } from '../config.js';
import { createRandomVlm } from '../create.js';
import { DEFAULT_VLM, defaultVlmConfig, defaultVlmDir, saveVisionCheckpoint } from '../default-vlm.js';
import { evaluateScenes, type SceneAccuracy } from './evaluate-vlm.js';
import { writeModelCard } from './model-card.js';
import { DEFAULT_VLM_TRAINING, trainVisionSide } from './train-vlm.js';

const USAGE = `Usage: pnpm --filter @llmedit/multimodal train [options]

Trains the default VLM (vision tower + projector, the default language model frozen) on procedural scenes.
Resumable: run it again with the same --work folder to continue.

  --steps N         optimiser steps in all (default ${DEFAULT_VLM_TRAINING.steps})
  --minutes M       stop this run after M minutes, saving the state (default: no limit)
  --work DIR        resumable state (default .cache/default-vlm-training in this package)
  --out DIR         checkpoint folder to write when training is done (default checkpoints/${DEFAULT_VLM})
  --auxiliary-weight W
                    weight of the auxiliary scene loss that trains the tower directly (default 1; 0: none)
  --eval-scenes N   held-out scenes for the card (default 300)
  --card-only       rewrite MODEL.md of --out from its training-report.json (no training)
  -h, --help        this text`;

const { values } = commandLineOrExit('train (multimodal)', USAGE, {
  steps: { type: 'string', default: String(DEFAULT_VLM_TRAINING.steps) },
  minutes: { type: 'string' },
  work: { type: 'string' },
  out: { type: 'string' },
  'eval-scenes': { type: 'string', default: '300' },
  'auxiliary-weight': { type: 'string', default: '1' },
  'card-only': { type: 'boolean', default: false },
});

if (values['card-only'] === true) {
  const dir = values.out ?? defaultVlmDir();
  writeModelCard(join(dir, 'MODEL.md'), JSON.parse(readFileSync(join(dir, 'training-report.json'), 'utf8')));
  process.stderr.write(`rewrote ${join(dir, 'MODEL.md')} from its training report\n`);
  process.exit(0);
}

const backend = await initBackend();
const here = join(import.meta.dirname, '..', '..');
const work = values.work ?? join(here, '.cache', 'default-vlm-training');
const out = values.out ?? defaultVlmDir();
const languageModel = loadPretrained('default');
const config = defaultVlmConfig(languageModel.config);
const vlm = createRandomVlm(config, languageModel, { seed: 1, resolveImage: renderSceneImage });
const options = {
  ...DEFAULT_VLM_TRAINING,
  steps: Number(values.steps),
  auxiliaryWeight: Number(values['auxiliary-weight']),
  work,
  ...(values.minutes === undefined ? {} : { timeBudgetMinutes: Number(values.minutes) }),
  log: (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
};
process.stderr.write(
  `backend ${describeBackend(backend)}; ${numImageTokens(config)} image tokens; state in ${work}\n`,
);
const report = await trainVisionSide(vlm, options);
if (!report.finished) {
  process.stderr.write(`stopped at step ${report.stepsDone}/${options.steps}; run again to continue\n`);
  process.exit(0);
}
const evalSeeds = sceneSeeds('eval', Number(values['eval-scenes']));
const heldOut: SceneAccuracy = evaluateScenes(vlm, evalSeeds, 0);
const rephrased: SceneAccuracy = evaluateScenes(vlm, evalSeeds, 1);
const training: SceneAccuracy = evaluateScenes(vlm, sceneSeeds('train', Number(values['eval-scenes'])), 0);
mkdirSync(out, { recursive: true });
await saveVisionCheckpoint(vlm, out, 'default');
const trainingReport = {
  backend: describeBackend(backend),
  options: { ...options, log: undefined, work: undefined },
  config,
  seconds: report.seconds,
  lossCurve: report.lossCurve,
  languageModelId: languageModel.modelId,
  heldOut,
  heldOutImageRephrase: rephrased,
  trainingScenes: training,
};
writeFileSync(join(out, 'training-report.json'), `${JSON.stringify(trainingReport, null, 1)}\n`);
writeModelCard(join(out, 'MODEL.md'), trainingReport);
process.stderr.write(
  `wrote ${out}: held-out VQA ${(heldOut.vqa.all.accuracy * 100).toFixed(1)}%, caption tokens ${(heldOut.caption.tokenAccuracy * 100).toFixed(1)}%\n`,
);
vlm.dispose();
