#!/usr/bin/env node
// llmedit-trace: causal tracing from the command line (see USAGE in cli-args.ts).
import { writeFileSync } from 'node:fs';
import { initBackend, LlmeditError } from '@llmedit/core';
import { datasetPath, loadKnownFactsFile } from '@llmedit/datasets';
import { type CausalLM, loadModel } from '@llmedit/models';
import { CHECKPOINT_NAMES, type CheckpointName, loadPretrained } from '@llmedit/pretrained';
import { averageTraces, knownFacts } from './average.js';
import { parseTraceArgs, type TraceCommand, USAGE } from './cli-args.js';
import { renderAverageTraceSvg, renderTraceSvg } from './svg.js';
import { formatAverageTable, formatTraceTable } from './table.js';
import { traceFact } from './trace.js';

function openModel(name: string): CausalLM {
  return (CHECKPOINT_NAMES as readonly string[]).includes(name)
    ? loadPretrained(name as CheckpointName)
    : loadModel(name);
}

async function main(argv: readonly string[]): Promise<number> {
  let command: TraceCommand;
  try {
    command = parseTraceArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const backend = await initBackend();
  const model = openModel(command.model);
  process.stderr.write(`model ${command.model} (${model.modelId}), backend ${backend.name}\n`);
  const common = {
    kind: command.kind,
    ...(command.samples === undefined ? {} : { samples: command.samples }),
    ...(command.noise === undefined ? {} : { noise: command.noise }),
    ...(command.seed === undefined ? {} : { seed: command.seed }),
    ...(command.window === undefined ? {} : { window: command.window }),
  };
  const started = performance.now();
  let svg: string;
  let numbers: unknown;
  if (command.command === 'fact') {
    const trace = traceFact(model, {
      ...common,
      prompt: command.prompt as string,
      subject: command.subject as string,
      ...(command.target === undefined ? {} : { target: command.target }),
    });
    process.stdout.write(`${formatTraceTable(trace)}\n`);
    svg = renderTraceSvg(trace);
    numbers = trace;
  } else {
    const all = loadKnownFactsFile(datasetPath('known1000')).records;
    const facts = knownFacts(model, all, { limit: command.known as number });
    process.stderr.write(
      `${facts.length} facts of known_1000 (${all.length}) that the model gets right, first ${command.known as number} kept\n`,
    );
    const average = averageTraces(model, facts, {
      ...common,
      onProgress: (done, total) => {
        if (done % 10 === 0 || done === total) process.stderr.write(`traced ${done}/${total}\n`);
      },
    });
    process.stdout.write(`${formatAverageTable(average)}\n`);
    svg = renderAverageTraceSvg(average);
    numbers = { ...average, facts };
  }
  process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (command.out !== undefined) {
    writeFileSync(command.out, svg);
    process.stderr.write(`wrote ${command.out}\n`);
  }
  if (command.json !== undefined) {
    writeFileSync(command.json, `${JSON.stringify(numbers, null, 2)}\n`);
    process.stderr.write(`wrote ${command.json}\n`);
  }
  model.dispose();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof LlmeditError ? `${error.code}: ${error.message}\n` : `${String(error)}\n`,
    );
    process.exit(1);
  },
);
