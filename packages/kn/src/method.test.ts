import { type EditRequest, edit, InvalidHparamsError, initBackend, tf } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { defaultPreset, microPreset } from '@llmedit/pretrained';
import { differingWeights, loadMicroModel, MICRO_REQUEST, weightBytes } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knHparams, knLlmeditHparams } from './hparams.js';
import { type KnInfo, kn, knLlmedit } from './method.js';
import { targetProbability } from './operations.js';
import { knFromEasyEdit, knLlmeditPreset, knPreset, knPresets, readKnYaml } from './presets.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadMicroModel();
});

afterAll(() => model.dispose());

describe('kn through edit()', () => {
  it('finds neurons for the true answer, raises the target and touches only their value slots', async () => {
    const before = weightBytes(model);
    const pBefore = targetProbability(model, MICRO_REQUEST.prompt, MICRO_REQUEST.targetNew);
    // llmedit's rule with EasyEdit's search (every layer): the target rises, though far less than with the
    // micro preset.
    const result = await edit({
      method: knLlmedit,
      model,
      requests: [MICRO_REQUEST],
      hparams: knLlmeditPreset('gpt2-xl'),
    });
    const info = result.outcomes[0]!.info as unknown as KnInfo;
    expect(info.neurons.length).toBeGreaterThan(0);
    expect(info.neurons.every((n) => n.score > 0.2 * info.maxAttribution[0]!)).toBe(true);
    expect(targetProbability(model, MICRO_REQUEST.prompt, MICRO_REQUEST.targetNew)).toBeGreaterThan(pBefore);
    const layers = [...new Set(info.neurons.map((n) => n.layer))].sort();
    const touched = differingWeights(before, weightBytes(model)).sort();
    expect(touched).toEqual(layers.map((l) => model.layout.mlpOutProjection(l).name).sort());
    // Only the neurons' rows (GPT-2 stores [in, out]) changed.
    for (const layer of layers) {
      const { name } = model.layout.mlpOutProjection(layer);
      const delta = result.outcomes[0]!.deltas.get(name)!.arraySync() as number[][];
      const own = new Set(info.neurons.filter((n) => n.layer === layer).map((n) => n.index));
      delta.forEach((row, i) => {
        expect(row.some((v) => v !== 0)).toBe(own.has(i));
      });
    }
    result.revert();
    result.dispose();
    expect(differingWeights(before, weightBytes(model))).toEqual([]);
  });

  it('needs the ground truth, and caps the neurons with maxNeurons', async () => {
    const { groundTruth: _, ...withoutTruth } = MICRO_REQUEST;
    const request: EditRequest = withoutTruth;
    const tensors = tf.memory().numTensors;
    await expect(
      edit({ method: kn, model, requests: [request], hparams: knPreset('micro') }),
    ).rejects.toThrow(/groundTruth/);
    expect(tf.memory().numTensors).toBe(tensors);
    const capped = await edit({
      method: knLlmedit,
      model,
      requests: [MICRO_REQUEST],
      hparams: { ...knLlmeditPreset('gpt2-xl'), maxNeurons: 2 },
    });
    const info = capped.outcomes[0]!.info as unknown as KnInfo;
    expect(info.neurons).toHaveLength(2);
    expect(info.coarseCounts[0]).toBeGreaterThan(2);
    capped.revert();
    capped.dispose();
  });
});

describe('hparams', () => {
  it("reads EasyEdit's KN YAML and names bad keys", () => {
    const yaml = [
      'alg_name: "KN"',
      'model_name: "./hugging_cache/gpt2-xl"',
      'device: 0',
      'lr_scale: 1.0',
      'n_toks: 10',
      'refine: False',
      'batch_size: 1',
      'steps: 20',
      'adaptive_threshold: 0.2',
      'p: 0.4',
      'max_length: 40',
    ].join('\n');
    expect(readKnYaml(yaml)).toEqual({ ...knHparams.defaults, batchSize: 1 });
    expect(() => knHparams.parse({ adaptiveThreshold: 2 })).toThrow(InvalidHparamsError);
    expect(() => knLlmeditHparams.parse({ editScale: 0 })).toThrow(/editScale/);
    // EasyEdit's rule has fixed factors: `kn` takes no scale.
    expect(() => knHparams.parse({ editScale: 2 })).toThrow(/editScale/);
    expect(() => readKnYaml('alg_name: ROME\nsteps: 3\n')).toThrow(/alg_name/);
    expect(() => knFromEasyEdit({ algName: 'ROME', hparams: {}, runtime: {} })).toThrow(/expected 'KN'/);
  });

  it('ships presets that parse, searching layers the committed models have', () => {
    for (const name of Object.keys(knPresets) as (keyof typeof knPresets)[]) {
      expect(knPreset(name).steps).toBeGreaterThan(0);
    }
    // `kn` is EasyEdit's gpt2-xl.yaml on GPT-2 XL and the embedded models: every layer searched.
    for (const name of ['gpt2-xl', 'default', 'micro'] as const) {
      expect(knPreset(name)).toEqual(knHparams.defaults);
      expect(knLlmeditPreset(name).editScale).toBe(2);
    }
    // EasyEdit's LLaMA-2 file: one step, batch 1 (hparams/KN/llama-7b.yaml).
    expect(knPreset('llama-2-7b')).toMatchObject({ steps: 1, batchSize: 1 });
    // kn-llmedit on the default model searches one middle layer (chosen on the training split, README).
    expect(knLlmeditPreset('default').layers).toEqual([4]);
    expect(knLlmeditPreset('default').layers!.every((l) => l < defaultPreset.config.numLayers)).toBe(true);
    expect(knLlmeditPreset('micro').layers!.every((l) => l < microPreset.config.numLayers)).toBe(true);
  });
});
