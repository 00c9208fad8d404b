// Usage: pnpm --filter @llmedit/pretrained evaluate [default|micro]
// Loads the committed checkpoint, recomputes the MODEL.md probe table and checks it against the card's numbers.
import { initBackend } from '@llmedit/core';
import { CHECKPOINT_NAMES, type CheckpointName, loadPretrained, readTrainingReport } from '../checkpoints.js';
import { type ProbeAccuracy, probeReport, probeTable } from '../evaluation/probe-accuracy.js';
import { buildKnowledgeProbes } from '../probes/index.js';

const name = (process.argv[2] ?? 'default') as CheckpointName;
if (!CHECKPOINT_NAMES.includes(name)) {
  process.stderr.write(`Unknown checkpoint '${name}'. Known: ${CHECKPOINT_NAMES.join(', ')}\n`);
  process.exit(2);
}
const backend = await initBackend();
const model = loadPretrained(name);
const started = Date.now();
const report = probeReport(model, buildKnowledgeProbes());
console.log(
  `llmedit/${name} (${model.modelId}) on ${backend.name}, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);
console.log(probeTable(report));
const card = (readTrainingReport(name) as { probes: Record<string, ProbeAccuracy> }).probes;
const mismatches = Object.entries(report).filter(
  ([set, r]) =>
    card[set] === undefined ||
    Math.abs(card[set].firstToken - r.firstToken) > 1e-9 ||
    Math.abs(card[set].wholeAnswer - r.wholeAnswer) > 1e-9,
);
console.log(
  mismatches.length === 0
    ? '\nMatches the numbers in MODEL.md.'
    : `\nDiffers from MODEL.md in: ${mismatches.map(([s]) => s).join(', ')}`,
);
process.exit(mismatches.length === 0 ? 0 : 1);
