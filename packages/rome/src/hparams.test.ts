import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidHparamsError, MissingPresetError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { ROME_GPT2_XL_DEFAULTS, romeHparams, rRomeHparams, rRomeKeyMode } from './hparams.js';
import { rome, rRome } from './method.js';
import { loadRomeYaml, readRomeYaml, romeFromEasyEdit, romePreset, romePresets } from './presets.js';

// EasyEdit's hparams/R-ROME/gpt2-xl.yaml (reference/easyedit.md sections 4.2-4.3 values).
const rRomeYaml = `alg_name: "R-ROME"
model_name: "openai-community/gpt2-xl"
stats_dir: "./data/stats"
device: 0
layers: [17]
fact_token: "subject_last"
v_num_grad_steps: 20
v_lr: 5e-1
v_loss_layer: 47
v_weight_decay: 0.5
clamp_norm_factor: 4
kl_factor: 0.0625
mom2_adjustment: false
context_template_length_params: [[5, 10], [10, 10]]
rewrite_module_tmp: "transformer.h.{}.mlp.c_proj"
layer_module_tmp: "transformer.h.{}"
mlp_module_tmp: "transformer.h.{}.mlp"
attn_module_tmp: "transformer.h.{}.attn"
ln_f_module: "transformer.ln_f"
lm_head_module: "transformer.wte"
mom2_dataset: "wikipedia"
mom2_n_samples: 100000
mom2_dtype: "float32"
model_parallel: false
fp16: false
`;

describe('ROME hyperparameters', () => {
  it("defaults to EasyEdit's GPT-2 XL values (C = I) and validates", () => {
    expect(romeHparams.defaults).toEqual(ROME_GPT2_XL_DEFAULTS);
    expect(romeHparams.parse({ vLr: 0.1 }).vLr).toBe(0.1);
    expect(() => romeHparams.parse({ v_lr: 0.1 })).toThrow(/did you mean 'vLr'/);
    expect(() => romeHparams.parse({ factToken: 'subject_middle' })).toThrow(InvalidHparamsError);
    expect(() => romeHparams.parse({ layers: [3, 3] })).toThrow(/repeat/);
    expect(() => romeHparams.parse({ contextTemplateLengthParams: [[0, 10]] })).toThrow(/prefix length/);
    expect(() => romeHparams.parse({ contextTemplateLengthParams: [[5]] })).toThrow(InvalidHparamsError);
    expect(rRomeHparams.defaults).toMatchObject({ enableRandomPrefixKeys: true, enablePromptKeys: false });
  });

  it("reads EasyEdit's R-ROME and ROME files into the matching method", async () => {
    const read = readRomeYaml(rRomeYaml, { source: 'gpt2-xl.yaml' });
    expect(read.method).toBe(rRome);
    expect(read.hparams).toEqual({ ...rRomeHparams.defaults, mom2Dataset: 'wikipedia' });
    expect(rRomeKeyMode(read.hparams as never)).toBe('averaged');
    const dir = await mkdtemp(join(tmpdir(), 'llmedit-rome-yaml-'));
    try {
      const path = join(dir, 'gpt2-xl.yaml');
      await writeFile(
        path,
        rRomeYaml.replace('"R-ROME"', '"ROME"').replace('mom2_adjustment: false', 'mom2_adjustment: true'),
      );
      const loaded = await loadRomeYaml(path);
      expect(loaded.method).toBe(rome);
      expect(loaded.hparams.mom2Adjustment).toBe(true);
    } finally {
      await rm(dir, { recursive: true });
    }
    expect(() => readRomeYaml(rRomeYaml.replace('"R-ROME"', '"MEMIT"'))).toThrow(/alg_name/);
    expect(() =>
      romeFromEasyEdit({ algName: 'R-ROME', hparams: { enablePromptKeys: 1 }, runtime: {} }),
    ).toThrow(/enablePromptKeys/);
  });

  it('picks the R-ROME key mode with EasyEdit precedence', () => {
    const base = rRomeHparams.defaults;
    expect(rRomeKeyMode({ ...base, originalImplementation: true })).toBe('original');
    expect(rRomeKeyMode({ ...base, enableRandomPrefixKeys: false, enablePromptKeys: true })).toBe('prompt');
  });

  it('ships presets that parse for both methods', () => {
    for (const name of Object.keys(romePresets) as (keyof typeof romePresets)[]) {
      expect(romePreset(name).layers.length).toBeGreaterThan(0);
      if ('r-rome' in romePresets[name]) {
        expect(romePreset(name, 'r-rome').enableRandomPrefixKeys).toBe(true);
      } else {
        // EasyEdit has no R-ROME file for this checkpoint: a typed error, not another model's values.
        expect(() => romePreset(name, 'r-rome')).toThrow(MissingPresetError);
      }
    }
    expect(romePreset('gpt2-xl')).toEqual(romeHparams.defaults);
    // EasyEdit's hparams/ROME/llama-7b.yaml and gpt-j-6B.yaml: layer 5, the last layer for the loss.
    expect(romePreset('llama-2-7b')).toMatchObject({ layers: [5], vLossLayer: 31, vWeightDecay: 1e-3 });
    expect(romePreset('gpt-j-6b', 'r-rome')).toMatchObject({ layers: [5], vLossLayer: 27 });
  });
});
