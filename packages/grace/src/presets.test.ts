import { describe, expect, it } from 'vitest';
import { graceHparams } from './hparams.js';
import { gracePreset, gracePresets } from './presets.js';

describe('GRACE presets', () => {
  it('parse, and the public checkpoints hold EasyEdit inner_params layers and step counts', () => {
    for (const name of Object.keys(gracePresets) as (keyof typeof gracePresets)[]) {
      expect(gracePreset(name).nIter).toBeGreaterThan(0);
    }
    // hparams/GRACE/gpt2-xl.yaml: transformer.h[35], 200 steps; llama-7b.yaml: model.layers[27], 50 steps.
    expect(gracePreset('gpt2-xl')).toEqual({ ...graceHparams.defaults, layer: 35 });
    expect(gracePreset('gpt-j-6b').layer).toBe(25);
    expect(gracePreset('llama-2-7b')).toMatchObject({ layer: 27, nIter: 50 });
  });
});
