import { statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckpointName, checkpointDir, loadPretrained, readTrainingReport } from './checkpoints.js';
import { type ProbeAccuracy, probeReport } from './evaluation/probe-accuracy.js';
import { buildKnowledgeProbes } from './probes/index.js';

beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
});

const limits: [CheckpointName, number][] = [
  ['micro', 1_000_000],
  ['default', 25_000_000],
];

describe.each(limits)('the committed %s checkpoint', (name, maxBytes) => {
  it(`is under ${maxBytes / 1e6} MB and loads with its tokenizer`, () => {
    expect(statSync(join(checkpointDir(name), 'model.safetensors')).size).toBeLessThan(maxBytes);
    const model = loadPretrained(name);
    expect(model.config.architecture).toBe('gpt2');
    const tokenizer = model.requireTokenizer();
    expect(tokenizer.decode(tokenizer.encode('The Eiffel Tower is in Paris'))).toBe(
      'The Eiffel Tower is in Paris',
    );
    model.dispose();
  });

  it('reproduces the probe numbers of its model card', { timeout: 600_000 }, () => {
    const model = loadPretrained(name);
    const report = readTrainingReport(name) as { modelId: string; probes: Record<string, ProbeAccuracy> };
    expect(model.modelId).toBe(report.modelId);
    const measured = probeReport(model, buildKnowledgeProbes());
    for (const [set, accuracy] of Object.entries(measured)) {
      expect(accuracy.count).toBe(report.probes[set]!.count);
      expect(accuracy.firstToken).toBeCloseTo(report.probes[set]!.firstToken, 9);
      expect(accuracy.wholeAnswer).toBeCloseTo(report.probes[set]!.wholeAnswer, 9);
    }
    model.dispose();
  });
});
