import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { type ModelConfig, resolveLayer } from './config.js';

const config = {
  architecture: 'gpt2',
  vocabSize: 16,
  maxPositions: 8,
  hiddenSize: 8,
  numLayers: 4,
  numHeads: 2,
  intermediateSize: 16,
  layerNormEpsilon: 1e-5,
} as ModelConfig;

describe('resolveLayer', () => {
  it('takes non-negative indices as they are and negative ones from the end', () => {
    expect(resolveLayer(config, 0, 'm hparams')).toBe(0);
    expect(resolveLayer(config, 3, 'm hparams')).toBe(3);
    expect(resolveLayer(config, -1, 'm hparams')).toBe(3);
    expect(resolveLayer(config, -4, 'm hparams')).toBe(0);
  });

  it("refuses a layer outside the model's, naming the field", () => {
    for (const layer of [4, -5]) {
      expect(() => resolveLayer(config, layer, 'm hparams')).toThrow(InvalidRequestError);
      expect(() => resolveLayer(config, layer, 'm hparams')).toThrow(/outside the model's 4 layers/);
    }
  });
});
