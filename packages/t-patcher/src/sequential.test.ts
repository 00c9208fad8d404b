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
  it('survives 100 sequential ZsRE edits: finite logits, one patch per edit, exact revert', {
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
      // Reliability of every edit on the final model (first target token the argmax) is NOT asserted: with
      // this fast setting it measured 0.38 (see the README); the target of >= 0.9 is open work.
      expect(finite).toBe(true);
      expect(model.addedNeurons().length).toBe(100);
    } finally {
      result.revert();
      result.dispose();
    }
    expect(model.addedNeurons()).toEqual([]); // revert removed every patch
    model.dispose();
  });
});
