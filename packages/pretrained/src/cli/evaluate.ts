// Usage: pnpm --filter @llmedit/pretrained evaluate [checkpoint]
// Loads the committed checkpoint, recomputes the MODEL.md probe table and checks it against the card's numbers
// (on the wasm kernels, where the card was measured).
import { parseArgs } from 'node:util';
import { initBackend } from '@llmedit/core';
import { CHECKPOINT_NAMES, type CheckpointName, loadPretrained, readTrainingReport } from '../checkpoints.js';
import { type ProbeAccuracy, probeReport, probeTable } from '../evaluation/probe-accuracy.js';
import { buildKnowledgeProbes } from '../probes/index.js';

const usage = `Usage: pnpm --filter @llmedit/pretrained evaluate [${CHECKPOINT_NAMES.join('|')}] (default: default)\n`;
let parsed: { values: { help?: boolean }; positionals: string[] };
try {
  parsed = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean' } } });
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (parsed.values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const name = (parsed.positionals[0] ?? 'default') as CheckpointName;
if (!CHECKPOINT_NAMES.includes(name) || parsed.positionals.length > 1) {
  process.stderr.write(`Unknown checkpoint '${parsed.positionals.join(' ')}'.\n${usage}`);
  process.exit(2);
}
const backend = await initBackend({ prefer: ['wasm'] });
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
