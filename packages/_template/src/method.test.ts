import { assertEditMethod, InvalidHparamsError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { template } from './index.js';

describe('template method package', () => {
  it('satisfies the EditMethodV1 contract', () => {
    expect(() => assertEditMethod(template)).not.toThrow();
  });

  it('parses its defaults and rejects bad hparams naming the field', () => {
    expect(template.hparams.parse({})).toEqual(template.hparams.defaults);
    expect(() => template.hparams.parse({ steps: 0 })).toThrow(InvalidHparamsError);
    expect(() => template.hparams.parse({ steps: 0 })).toThrow(/steps/);
  });

  it('refuses to edit until implemented', async () => {
    await expect(
      template.doEdit({ seed: 0 }, undefined as never, [], template.hparams.defaults),
    ).rejects.toThrow(/implement doEdit/);
  });
});
