import { statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointDir, loadPretrained, readTrainingReport } from './checkpoints.js';
import { type ProbeAccuracy, probeReport } from './evaluation/probe-accuracy.js';
import { buildKnowledgeProbes } from './probes/index.js';

beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
});

describe('the committed micro checkpoint', () => {
  it('is under 1 MB and loads with its tokenizer', () => {
    expect(statSync(join(checkpointDir('micro'), 'model.safetensors')).size).toBeLessThan(1_000_000);
    const model = loadPretrained('micro');
    expect(model.config.architecture).toBe('gpt2');
    expect(
      model.requireTokenizer().decode(model.requireTokenizer().encode('The Eiffel Tower is in Paris')),
    ).toBe('The Eiffel Tower is in Paris');
    model.dispose();
  });

  it('reproduces the probe numbers of its model card', () => {
    const model = loadPretrained('micro');
    const report = readTrainingReport('micro') as { modelId: string; probes: Record<string, ProbeAccuracy> };
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
