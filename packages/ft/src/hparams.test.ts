import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidHparamsError, readEasyEditYaml } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { ftLHparams, ftMHparams } from './hparams.js';
import { ftL, ftM } from './method.js';
import { ftFromEasyEdit, ftPreset, ftPresets, loadFtYaml, readFtYaml } from './presets.js';

// An EasyEdit FT file as hparams/FT/gpt2-xl.yaml writes it (reference/easyedit.md section 4.1 values).
const gpt2XlYaml = `alg_name: "FT"
model_name: "./hugging_cache/gpt2-xl"
device: 0

layers: [0]
num_steps: 25
batch_size: 3
max_length: 40
lr: 5e-4
weight_decay: 0
kl_factor: 0
norm_constraint: 5e-4
objective_optimization: "prompt_last"
rewrite_module_tmp: "transformer.h.{}.mlp.c_proj"
layer_module_tmp: "transformer.h.{}"
mlp_module_tmp: "transformer.h.{}.mlp"
attn_module_tmp: "transformer.h.{}.attn"
ln_f_module: "transformer.ln_f"
lm_head_module: "transformer.wte"
model_parallel: false
`;

describe('FT hyperparameters', () => {
  it("defaults to EasyEdit's GPT-2 XL values with each method's objective", () => {
    expect(ftLHparams.defaults).toEqual({
      layers: [0],
      numSteps: 25,
      batchSize: 3,
      maxLength: 40,
      lr: 5e-4,
      weightDecay: 0,
      normConstraint: 5e-4,
      objectiveOptimization: 'prompt_last',
      lossThreshold: 1e-2,
    });
    expect(ftMHparams.defaults.objectiveOptimization).toBe('target_new');
  });

  it('rejects bad values naming the key, and the other method objective', () => {
    expect(() => ftLHparams.parse({ lr: 0 })).toThrow(/'lr'/);
    expect(() => ftLHparams.parse({ layers: [] })).toThrow(InvalidHparamsError);
    expect(() => ftLHparams.parse({ normConstraint: true })).toThrow(/normConstraint/);
    expect(ftLHparams.parse({ normConstraint: false }).normConstraint).toBe(false);
    expect(() => ftLHparams.parse({ objectiveOptimization: 'target_new' })).toThrow(
      /'ft-l' optimises 'prompt_last'/,
    );
    expect(() => ftMHparams.parse({ objectiveOptimization: 'prompt_last' })).toThrow(/ft-m/);
    expect(() => ftLHparams.parse({ rewriteModuleTmp: 'transformer.h.0.mlp.c_proj' })).toThrow(/'\{\}'/);
  });

  it('reads an EasyEdit FT YAML into FT-L with the same values', () => {
    const { method, hparams } = readFtYaml(gpt2XlYaml, { source: 'gpt2-xl.yaml' });
    expect(method).toBe(ftL);
    expect(hparams).toEqual({
      ...ftLHparams.defaults,
      rewriteModuleTmp: 'transformer.h.{}.mlp.c_proj',
    });
    // The generic core reader gives the same keys, and the method spec accepts them directly.
    const file = readEasyEditYaml(gpt2XlYaml, { algName: 'FT' });
    expect(file.runtime).toEqual({ device: 0, modelParallel: false });
    expect(ftL.hparams.parse(file.hparams)).toEqual(hparams);
  });

  it('picks FT-M for objective_optimization: target_new and loads files from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmedit-ft-'));
    try {
      const path = join(dir, 'llama-7b.yaml');
      await writeFile(path, gpt2XlYaml.replace('"prompt_last"', '"target_new"').replace('[0]', '[21]'));
      const { method, hparams } = await loadFtYaml(path);
      expect(method).toBe(ftM);
      expect(hparams.layers).toEqual([21]);
      expect(hparams.objectiveOptimization).toBe('target_new');
    } finally {
      await rm(dir, { recursive: true });
    }
    expect(() => readFtYaml(gpt2XlYaml.replace('"FT"', '"ROME"'))).toThrow(/alg_name/);
    expect(() => ftFromEasyEdit({ algName: 'MEMIT', hparams: {}, runtime: {} })).toThrow(/expected 'FT'/);
  });

  it('ships presets that parse for both methods', () => {
    for (const name of Object.keys(ftPresets) as (keyof typeof ftPresets)[]) {
      expect(ftPreset('ft-l', name).objectiveOptimization).toBe('prompt_last');
      expect(ftPreset('ft-m', name).objectiveOptimization).toBe('target_new');
    }
    expect(ftPreset('ft-l', 'gpt2-xl')).toEqual(ftLHparams.defaults);
    // The default model runs EasyEdit's GPT-2 XL file as it is (layer 0, lr 5e-4, eps 5e-4, 25 steps).
    expect(ftPreset('ft-l', 'default')).toEqual(ftPreset('ft-l', 'gpt2-xl'));
    expect(ftPreset('ft-m', 'default')).toEqual(ftPreset('ft-m', 'gpt2-xl'));
    expect(ftPreset('ft-l', 'micro').layers).toEqual([1]);
  });
});
