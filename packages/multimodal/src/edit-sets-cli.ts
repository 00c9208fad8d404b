// pnpm --filter @llmedit/multimodal build-edit-sets [--vlm DIR] [--out DIR] [--evqa N] [--eic N]
// Builds the scene E-VQA / E-IC edit sets (evaluation and training splits) from the cases the VLM gets wrong
// and writes them, with MANIFEST.json, into @llmedit/datasets' data/scenes folder.
import { join } from 'node:path';
import { describeBackend, initBackend } from '@llmedit/core';
import { dataDir } from '@llmedit/datasets';
import { commandLineOrExit } from '@llmedit/pretrained/node';
import { defaultVlmDir, loadDefaultVlm } from './default-vlm.js';
import { writeSceneEditSets } from './edit-sets-files.js';

const USAGE = `Usage: pnpm --filter @llmedit/multimodal build-edit-sets [options]

Scans held-out scenes (eval split) and training scenes (train split) in order and keeps the questions
(E-VQA) and captions (E-IC) the VLM gets wrong under teacher forcing; writes evqa_eval.json, evqa_train.json,
eic_eval.json, eic_train.json and MANIFEST.json (VLM modelId, this command).

  --vlm DIR     VLM folder in the default VLM's layout (default checkpoints/default-vlm)
  --out DIR     where to write (default the data/scenes folder of @llmedit/datasets)
  --evqa N      E-VQA records per split (default 500)
  --eic N       E-IC records per split (default 300)
  -h, --help    this text`;

const { values } = commandLineOrExit('build-edit-sets (multimodal)', USAGE, {
  vlm: { type: 'string' },
  out: { type: 'string' },
  evqa: { type: 'string', default: '500' },
  eic: { type: 'string', default: '300' },
});

const count = (flag: 'evqa' | 'eic'): number => {
  const n = Number(values[flag]);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${flag} must be a non-negative integer, got '${values[flag]}'\n\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
};
const evqa = count('evqa');
const eic = count('eic');

const backend = await initBackend();
const vlm = loadDefaultVlm(values.vlm ?? defaultVlmDir());
const out = values.out ?? join(dataDir(), 'scenes');
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
log(`backend ${describeBackend(backend)}; VLM ${vlm.modelId}; writing ${out}`);
const manifest = writeSceneEditSets(vlm, {
  out,
  command: ['pnpm --filter @llmedit/multimodal build-edit-sets', ...process.argv.slice(2)].join(' '),
  files: [
    { task: 'evqa', split: 'eval', count: evqa },
    { task: 'evqa', split: 'train', count: evqa },
    { task: 'eic', split: 'eval', count: eic },
    { task: 'eic', split: 'train', count: eic },
  ],
  log,
});
for (const f of manifest.files) {
  if (f.records < f.requested)
    log(
      `warning: ${f.file} has ${f.records} of ${f.requested} records (all ${f.scannedScenes} scenes scanned)`,
    );
}
vlm.dispose();
