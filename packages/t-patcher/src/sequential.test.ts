import { edit, initBackend } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { beforeAll, describe, expect, it } from 'vitest';
import { tPatcher } from './method.js';
import { tPatcherPreset } from './presets.js';

beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
});

describe('T-Patcher sequential editing on the micro model', () => {
  it('holds 100 sequential ZsRE edits on the final model, with finite logits', {
    timeout: 3_600_000,
  }, async () => {
    const model = loadPretrained('micro');
    const requests = loadSplit('zsre', 'eval').slice(0, 100);
    const result = await edit({
      method: tPatcher,
      model,
      requests,
      mode: 'sequential',
      hparams: { ...tPatcherPreset('micro'), maxSteps: 20, memorySize: 50 },
    });
    try {
      const scores = scoreTargets(
        result.model,
        requests.map((r) => ({ prompt: r.prompt, target: r.targetNew })),
      );
      const finite = scores.every((s) => s.logProbs.every(Number.isFinite));
      // Reliability of every edit on the final model: the first target token is the argmax.
      const held = scores.filter((s) => s.argmaxIds[0] === s.targetIds[0]).length / scores.length;
      expect(finite).toBe(true);
      expect(held).toBeGreaterThanOrEqual(0.9);
      expect(model.addedNeurons().length).toBe(100);
    } finally {
      result.revert();
      result.dispose();
    }
    expect(model.addedNeurons()).toEqual([]); // revert removed every patch
    model.dispose();
  });
});
