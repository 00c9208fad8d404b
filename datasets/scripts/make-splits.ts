// Writes data/splits/{counterfact,zsre}.{eval,train}.json from the shipped source files by the rule in
// src/splits.ts (see README.md). `--check` only verifies that the committed files match the rule.
// Run: pnpm --filter @llmedit/datasets make-splits [-- --check]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  computeSplit,
  datasetPath,
  loadCounterFactFile,
  loadZsreFile,
  readSplitIds,
  SPLIT_DATASETS,
  SPLIT_SOURCES,
  type SplitDataset,
  type SplitName,
} from '../src/index.js';

function sourceIds(dataset: SplitDataset): number[] {
  const path = datasetPath(SPLIT_SOURCES[dataset]);
  return dataset === 'counterfact'
    ? loadCounterFactFile(path).records.map((r) => r.caseId)
    : loadZsreFile(path).records.map((r) => r.index);
}

// node:util parseArgs in strict mode, as every llmedit CLI (datasets cannot use @llmedit/pretrained's helper:
// pretrained depends on datasets).
const USAGE = `Usage: pnpm --filter @llmedit/datasets make-splits [--check]

  --check     only verify that the committed split files match the rule (exit 1 when not)
  -h, --help  this text
`;
let check = false;
try {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  check = values.check === true;
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
let mismatches = 0;
for (const dataset of SPLIT_DATASETS) {
  const split = computeSplit(dataset, sourceIds(dataset));
  for (const name of ['eval', 'train'] as const satisfies readonly SplitName[]) {
    const path = datasetPath(`splits/${dataset}.${name}.json`);
    if (check) {
      let same = false;
      try {
        same = JSON.stringify(readSplitIds(dataset, name)) === JSON.stringify(split[name]);
      } catch {
        same = false;
      }
      if (!same) mismatches += 1;
      console.log(`${same ? 'ok      ' : 'MISMATCH'} ${path} (${split[name].length} ids)`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify(split[name])}\n`);
      console.log(`wrote ${path} (${split[name].length} ids)`);
    }
  }
}
if (mismatches > 0) process.exit(1);
