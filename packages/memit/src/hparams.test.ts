import { InvalidHparamsError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { MEMIT_GPT2_XL_DEFAULTS, memitHparams } from './hparams.js';
import { memitFromEasyEdit, memitPreset, memitPresets, readMemitYaml } from './presets.js';

// EasyEdit's hparams/MEMIT/gpt2-xl.yaml (reference/easyedit.md section 4.4 values).
const gpt2XlYaml = `alg_name: "MEMIT"
model_name: "./hugging_cache/gpt2-xl"
stats_dir: "./data/stats"
device: 0
layers: [13, 14, 15, 16, 17]
clamp_norm_factor: 0.75
layer_selection: "all"
fact_token: "subject_last"
v_num_grad_steps: 20
v_lr: 5e-1
v_loss_layer: 47
v_weight_decay: 0.5
kl_factor: 0.0625
mom2_adjustment: true
mom2_update_weight: 20000
rewrite_module_tmp: "transformer.h.{}.mlp.c_proj"
layer_module_tmp: "transformer.h.{}"
mlp_module_tmp: "transformer.h.{}.mlp"
attn_module_tmp: "transformer.h.{}.attn"
ln_f_module: "transformer.ln_f"
lm_head_module: "transformer.wte"
mom2_dataset: "wikipedia"
mom2_n_samples: 100000
mom2_dtype: "float32"
`;

describe('MEMIT hyperparameters', () => {
  it("defaults to EasyEdit's GPT-2 XL values and validates", () => {
    expect(memitHparams.defaults).toEqual(MEMIT_GPT2_XL_DEFAULTS);
    expect(() => memitHparams.parse({ mom2UpdateWeight: 0 })).toThrow(/mom2UpdateWeight/);
    expect(() => memitHparams.parse({ layers: [] })).toThrow(InvalidHparamsError);
    expect(() => memitHparams.parse({ layers: [2, 2] })).toThrow(/repeat/);
    expect(() => memitHparams.parse({ mom2_update_weight: 5 })).toThrow(/did you mean 'mom2UpdateWeight'/);
  });

  it("reads EasyEdit's MEMIT file", () => {
    expect(readMemitYaml(gpt2XlYaml)).toEqual({ ...MEMIT_GPT2_XL_DEFAULTS, mom2Dataset: 'wikipedia' });
    expect(() => readMemitYaml(gpt2XlYaml.replace('"MEMIT"', '"ROME"'))).toThrow(/alg_name/);
    expect(() => memitFromEasyEdit({ algName: 'ROME', hparams: {}, runtime: {} })).toThrow(
      /expected 'MEMIT'/,
    );
  });

  it('ships presets that parse', () => {
    for (const name of Object.keys(memitPresets) as (keyof typeof memitPresets)[]) {
      expect(memitPreset(name).mom2UpdateWeight).toBeGreaterThan(0);
    }
    expect(memitPreset('gpt2-xl')).toEqual(memitHparams.defaults);
  });
});
