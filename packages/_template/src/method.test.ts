import { assertEditMethod, edit, InvalidHparamsError } from '@llmedit/core';
import { loadMicroModel, MICRO_REQUEST } from '@llmedit/testing';
import { describe, expect, it } from 'vitest';
import { template, templatePreset, templatePresets } from './index.js';

describe('template method package', () => {
  it('satisfies the EditMethodV1 contract', () => {
    expect(() => assertEditMethod(template)).not.toThrow();
  });

  it('parses its defaults and rejects bad hparams naming the field', () => {
    expect(template.hparams.parse({})).toEqual(template.hparams.defaults);
    expect(() => template.hparams.parse({ steps: 0 })).toThrow(InvalidHparamsError);
    expect(() => template.hparams.parse({ steps: 0 })).toThrow(/steps/);
  });

  it('has a valid preset for the micro and the default model', () => {
    for (const name of Object.keys(templatePresets) as (keyof typeof templatePresets)[]) {
      expect(() => templatePreset(name)).not.toThrow();
    }
    expect(Object.keys(templatePresets)).toEqual(expect.arrayContaining(['micro', 'default']));
  });

  it('refuses a layer the model does not have, naming the field, and leaves the model as it was', async () => {
    const model = loadMicroModel();
    try {
      await expect(
        edit({ method: template, model, requests: MICRO_REQUEST, hparams: { layer: 99 } }),
      ).rejects.toThrow(/layer/);
    } finally {
      model.dispose();
    }
  });
});
