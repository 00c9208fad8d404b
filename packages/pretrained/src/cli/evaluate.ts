// Usage: pnpm --filter @llmedit/pretrained evaluate [checkpoint]
// Loads the committed checkpoint, recomputes the MODEL.md probe table and checks it against the card's numbers
// (on the wasm kernels, where the card was measured).
import { InvalidRequestError, initBackend } from '@llmedit/core';
import { CHECKPOINT_NAMES, type CheckpointName, loadPretrained, readTrainingReport } from '../checkpoints.js';
import { type ProbeAccuracy, probeReport, probeTable } from '../evaluation/probe-accuracy.js';
import { buildKnowledgeProbes } from '../probes/index.js';
import { parseCommandLine, runCommandLine } from './command-line.js';

const usage = `Usage: pnpm --filter @llmedit/pretrained evaluate [${CHECKPOINT_NAMES.join('|')}] (default: default)

Recomputes the probe table of the committed checkpoint's MODEL.md and says whether it matches.
  -h, --help  this text
`;

/** The checkpoint to evaluate, from the command line. */
function parse(argv: readonly string[]): { help: true } | { help: false; name: CheckpointName } {
  const parsed = parseCommandLine('evaluate', argv, {}, 1);
  if (parsed.help) return parsed;
  const name = parsed.positionals[0] ?? 'default';
  if (!(CHECKPOINT_NAMES as readonly string[]).includes(name)) {
    throw new InvalidRequestError(
      'evaluate',
      '<checkpoint>',
      `'${name}' is not one of ${CHECKPOINT_NAMES.join(', ')}`,
    );
  }
  return { help: false, name: name as CheckpointName };
}

await runCommandLine(
  usage,
  () => parse(process.argv.slice(2)),
  async ({ name }) => {
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
  },
);
