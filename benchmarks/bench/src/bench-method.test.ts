import { MissingPresetError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { describe, expect, it } from 'vitest';
import { fromPresets } from './bench-method.js';

const bench = (preset: string) => ({ model: {} as CausalLM, name: preset, preset });
const run = { smoke: false };

describe('fromPresets', () => {
  const presets = { micro: { 'ft-l': { lr: 0.01 } }, gpt2: { 'ft-l': { lr: 5e-4 } } };

  it("returns the model's own preset entry", () => {
    expect(fromPresets(presets, 'ft-l').hparams?.(bench('micro'), run)).toEqual({ lr: 0.01 });
  });

  it("never stands another model's preset in: a missing one names the method and the model", () => {
    // The default checkpoint used to get the micro model's preset silently.
    const { hparams } = fromPresets(presets, 'ft-l');
    expect(() => hparams?.(bench('default'), run)).toThrow(MissingPresetError);
    expect(() => hparams?.(bench('default'), run)).toThrow(/'ft-l'.*model 'default'.*micro, gpt2/);
    expect(() => fromPresets(presets, 'ft-m').hparams?.(bench('micro'), run)).toThrow(/'ft-m'.*'micro'/);
    expect(() => fromPresets({ micro: {} }, undefined, 'ike').hparams?.(bench('llama'), run)).toThrow(
      /'ike'.*'llama'/,
    );
    // Inherited keys are not presets.
    expect(() => fromPresets({}, undefined, 'kn').hparams?.(bench('toString'), run)).toThrow(
      MissingPresetError,
    );
  });
});
