import { HparamsFileError, InvalidHparamsError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { ikeHparams } from './hparams.js';
import { ikeFromEasyEdit, ikePreset, ikePresets, readIkeYaml } from './presets.js';

describe('ike hparams', () => {
  it("defaults to EasyEdit's k = 16 with demonstrations", () => {
    expect(ikeHparams.defaults.k).toBe(16);
    expect(ikeHparams.defaults.useIclExamples).toBe(true);
  });

  it("parses every preset: EasyEdit's k for the public checkpoints, a smaller k for the embedded models", () => {
    for (const name of Object.keys(ikePresets) as (keyof typeof ikePresets)[]) {
      const embedded = name === 'default' || name === 'micro';
      if (embedded) expect(ikePreset(name).k).toBeLessThan(16);
      else expect(ikePreset(name).k).toBe(16);
    }
  });

  it("reads EasyEdit's IKE YAML (sentence encoder and device keys ignored)", () => {
    const hparams = readIkeYaml(
      [
        'alg_name: "IKE"',
        'model_name: "./hugging_cache/llama-3-8b"',
        'sentence_model_name: "./hugging_cache/all-MiniLM-L6-v2"',
        'device: 0',
        'results_dir: "./results"',
        'use_icl_examples: False',
        'k: 0',
        'model_parallel: false',
      ].join('\n'),
    );
    expect(hparams.k).toBe(0);
    expect(hparams.useIclExamples).toBe(false);
    expect(() => readIkeYaml('alg_name: ROME\nk: 4\n')).toThrow(InvalidHparamsError);
    expect(() => readIkeYaml('k: [')).toThrow(HparamsFileError);
    expect(() => ikeFromEasyEdit({ algName: 'MEMIT', hparams: {}, runtime: {} })).toThrow(/alg_name/);
  });

  it('names the offending key', () => {
    expect(() => ikeHparams.parse({ k: 1.5 })).toThrow(/'k'/);
    expect(() => ikeHparams.parse({ demoPool: ['wiki'] })).toThrow(/demoPool\[0\]/);
    expect(() => ikeHparams.parse({ demoPool: [] })).toThrow(/demoPool/);
    expect(() => ikeHparams.parse({ bm25B: 1.5 })).toThrow(/bm25B/);
    expect(() => ikeHparams.parse({ kk: 2 })).toThrow(/did you mean 'k'/);
  });
});
