import { assertEditMethod, edit, InvalidHparamsError } from '@llmedit/core';
import { loadMicroModel, MICRO_REQUEST } from '@llmedit/testing';
import { describe, expect, it } from 'vitest';
import { calinet, calinetPreset, calinetPresets } from './index.js';

describe('calinet method package', () => {
  it('satisfies the EditMethodV1 contract', () => {
    expect(() => assertEditMethod(calinet)).not.toThrow();
  });

  it('parses its defaults and rejects bad hparams naming the field', () => {
    expect(calinet.hparams.parse({})).toEqual(calinet.hparams.defaults);
    expect(() => calinet.hparams.parse({ steps: 0 })).toThrow(InvalidHparamsError);
    expect(() => calinet.hparams.parse({ steps: 0 })).toThrow(/steps/);
  });

  it('has a valid preset for the micro and the default model', () => {
    for (const name of Object.keys(calinetPresets) as (keyof typeof calinetPresets)[]) {
      expect(() => calinetPreset(name)).not.toThrow();
    }
    expect(Object.keys(calinetPresets)).toEqual(expect.arrayContaining(['micro', 'default']));
  });

  it('refuses a layer the model does not have, naming the field, and leaves the model as it was', async () => {
    const model = loadMicroModel();
    try {
      await expect(
        edit({ method: calinet, model, requests: MICRO_REQUEST, hparams: { layer: 99 } }),
      ).rejects.toThrow(/layer/);
    } finally {
      model.dispose();
    }
  });
});

describe('calinet on the micro model', () => {
  it('adds exactly `slots` neurons beside the chosen FFN, changes no weight, raises the target and removes them on revert', async () => {
    const { differingWeights, weightBytes } = await import('@llmedit/testing');
    const { scoreTargets } = await import('@llmedit/models');
    const model = loadMicroModel();
    try {
      const weights = weightBytes(model);
      const score = () =>
        scoreTargets(model, [{ prompt: MICRO_REQUEST.prompt, target: MICRO_REQUEST.targetNew }])[0]!
          .logProbs[0]!;
      const before = score();
      const result = await edit({
        method: calinet,
        model,
        requests: MICRO_REQUEST,
        hparams: calinetPreset('micro'),
      });
      const info = result.outcomes[0]!.info as {
        layer: number;
        slotsAdded: number;
        lossBefore: number;
        lossAfter: number;
      };
      expect(info.layer).toBe(model.config.numLayers - 1);
      expect(model.addedNeurons(info.layer).map((b) => b.count)).toEqual([calinetPreset('micro').slots]);
      expect(info.lossAfter).toBeLessThan(info.lossBefore);
      expect(score()).toBeGreaterThan(before);
      expect(differingWeights(weights, weightBytes(model))).toEqual([]);
      result.revert();
      result.dispose();
      expect(model.addedNeurons()).toEqual([]);
      expect(score()).toBe(before);
    } finally {
      model.dispose();
    }
  });
});
