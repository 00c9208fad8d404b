import { edit, initBackend } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { beforeAll, describe, expect, it } from 'vitest';
import { grace } from './method.js';
import { gracePreset } from './presets.js';

beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
});

describe('GRACE sequential editing on the micro model', () => {
  it('holds 100 sequential ZsRE edits on the final model, with finite logits', {
    timeout: 1_800_000,
  }, async () => {
    const model = loadPretrained('micro');
    const requests = loadSplit('zsre', 'eval').slice(0, 100);
    const result = await edit({
      method: grace,
      model,
      requests,
      mode: 'sequential',
      hparams: { ...gracePreset('micro'), nIter: 10, learningRate: 1 },
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
      expect(held).toBeGreaterThanOrEqual(0.95);
    } finally {
      result.revert();
      result.dispose();
      model.dispose();
    }
  });
});
