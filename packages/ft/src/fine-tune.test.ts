import { type EditRequest, edit, InvalidHparamsError, initBackend, type Tensor, tf } from '@llmedit/core';
import { type CausalLM, scoreIdPairs } from '@llmedit/models';
import {
  differingWeights,
  loadMicroModel,
  MICRO_REQUEST,
  nextTokens,
  requestTokens,
  tensorBytes,
  weightBytes,
} from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FtInfo, fineTune, trainableWeightNames } from './fine-tune.js';
import { ftLHparams, ftMHparams } from './hparams.js';
import { buildExample, ftLoss } from './loss.js';
import { ftL, ftM } from './method.js';
import { ftPreset } from './presets.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadMicroModel();
});

afterAll(() => model.dispose());

const multiToken: EditRequest = { prompt: 'The Eiffel Tower is located in', targetNew: 'Rome' };

describe('trainableWeightNames', () => {
  it("trains the chosen layers' MLP output projection (weight and bias) by default", () => {
    const names = trainableWeightNames(model, ftLHparams.parse({ layers: [1, 0] }));
    expect(names).toEqual([
      'transformer.h.0.mlp.c_proj.bias',
      'transformer.h.0.mlp.c_proj.weight',
      'transformer.h.1.mlp.c_proj.bias',
      'transformer.h.1.mlp.c_proj.weight',
    ]);
  });

  it("follows EasyEdit's rewrite_module_tmp and names bad layers and templates", () => {
    const fc = ftLHparams.parse({ layers: [1], rewriteModuleTmp: 'transformer.h.{}.mlp.c_fc' });
    expect(trainableWeightNames(model, fc)).toEqual([
      'transformer.h.1.mlp.c_fc.bias',
      'transformer.h.1.mlp.c_fc.weight',
    ]);
    expect(() => trainableWeightNames(model, ftLHparams.parse({ layers: [5] }))).toThrow(InvalidHparamsError);
    expect(() => trainableWeightNames(model, ftLHparams.parse({ layers: [5] }))).toThrow(/layers\[0\]/);
    const missing = ftLHparams.parse({ layers: [0], rewriteModuleTmp: 'model.layers.{}.mlp.down_proj' });
    expect(() => trainableWeightNames(model, missing)).toThrow(/rewriteModuleTmp/);
  });
});

describe('ftLoss', () => {
  it('FT-M is the mean over requests of the mean teacher-forced target NLL', () => {
    const requests = [multiToken, MICRO_REQUEST];
    const examples = requests.map((r) => buildExample(model, r, 'target_new', 40));
    const loss = ftLoss(model, examples, 'target_new');
    const scores = scoreIdPairs(model, examples);
    const expected =
      -scores.reduce((sum, s) => sum + s.logProbs.reduce((a, b) => a + b, 0) / s.logProbs.length, 0) /
      scores.length;
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 4);
    loss.dispose();
  });

  it('FT-L scores every target token at the last prompt position', () => {
    const example = buildExample(model, multiToken, 'prompt_last', 40);
    expect(example.targetIds.length).toBeGreaterThan(1);
    const loss = ftLoss(model, [example], 'prompt_last');
    const [next] = nextTokens(model, [example.promptIds]);
    const expected =
      -example.targetIds.reduce((sum, id) => sum + (next?.logProbs[id] as number), 0) /
      example.targetIds.length;
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 4);
    loss.dispose();
  });

  it('keeps the last tokens of a prompt longer than maxLength', () => {
    const full = buildExample(model, multiToken, 'target_new', 40);
    const cut = buildExample(model, multiToken, 'target_new', 6);
    expect(cut.promptIds.length + cut.targetIds.length).toBe(6);
    expect(cut.promptIds).toEqual(full.promptIds.slice(-cut.promptIds.length));
    expect(cut.targetIds).toEqual(full.targetIds);
    expect(full.droppedPromptTokens).toBe(0);
    expect(cut.droppedPromptTokens).toBe(full.promptIds.length - cut.promptIds.length);
    expect(cut.droppedTargetTokens).toBe(0);
  });
});

describe('fineTune', () => {
  const preset = ftPreset('ft-l', 'micro');

  it('changes only the trained weights, within the L-infinity radius, and reports deltas W - W0', async () => {
    const before = weightBytes(model);
    const tensors = tf.memory().numTensors;
    const outcome = await fineTune({ seed: 0 }, model, [MICRO_REQUEST], preset);
    const info = outcome.info as unknown as FtInfo;
    const trained = trainableWeightNames(model, preset);
    expect(differingWeights(before, weightBytes(model)).sort()).toEqual([...trained].sort());
    expect([...outcome.deltas.keys()]).toEqual(trained);
    expect(info.maxAbsDelta).toBeGreaterThan(0);
    expect(info.maxAbsDelta).toBeLessThanOrEqual((preset.normConstraint as number) * (1 + 1e-5));
    expect(info.epochLosses[info.epochLosses.length - 1]).toBeLessThan((info.epochLosses[0] as number) / 2);
    for (const name of trained) {
      const original = new Float32Array((before.get(name) as Uint8Array).buffer);
      const expected = tf.tidy(() =>
        tf.sub(model.weight(name), tf.tensor(original, model.weight(name).shape)),
      );
      expect(tensorBytes(outcome.deltas.get(name) as Tensor)).toEqual(tensorBytes(expected));
      expected.dispose();
    }
    const [after] = nextTokens(model, [requestTokens(model, MICRO_REQUEST).promptIds]);
    expect(after?.argmax).toBe(requestTokens(model, MICRO_REQUEST).targetId);
    outcome.restore();
    expect(differingWeights(before, weightBytes(model))).toEqual([]);
    outcome.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it("reports the requests cut to maxLength in the outcome's info", async () => {
    const fits = await fineTune({ seed: 0 }, model, [MICRO_REQUEST], { ...preset, numSteps: 1 });
    expect((fits.info as unknown as FtInfo).truncated).toEqual([]);
    fits.restore();
    fits.dispose();
    const full = buildExample(model, multiToken, 'prompt_last', 40);
    const outcome = await fineTune({ seed: 0 }, model, [MICRO_REQUEST, multiToken], {
      ...preset,
      numSteps: 1,
      maxLength: 2,
    });
    const { truncated } = outcome.info as unknown as FtInfo;
    expect(truncated.map((t) => t.request)).toContain(1);
    expect(truncated.find((t) => t.request === 1)).toEqual({
      request: 1,
      promptTokens: full.promptIds.length - 2,
      targetTokens: 0,
    });
    outcome.restore();
    outcome.dispose();
  });

  it("clamps to EasyEdit's box W0 - eps <= W <= W0 + eps: one large Adam step lands every weight on its edge", async () => {
    // Adam's first step moves each weight by about lr * sign(gradient) (bias-corrected m / sqrt(v)); with
    // lr far above eps, ft_main.py's clamp puts every weight with a gradient exactly at W0 - eps or W0 + eps.
    const eps = 1e-3;
    const outcome = await fineTune({ seed: 0 }, model, [MICRO_REQUEST], {
      ...preset,
      numSteps: 1,
      lr: 0.5,
      normConstraint: eps,
    });
    let onEdge = 0;
    for (const delta of outcome.deltas.values()) {
      for (const v of delta.dataSync()) {
        const off = Math.min(Math.abs(v), Math.abs(Math.abs(v) - eps));
        expect(off).toBeLessThan(1e-6);
        if (Math.abs(v) > eps / 2) onEdge++;
      }
    }
    expect(onEdge).toBeGreaterThan(0);
    outcome.restore();
    outcome.dispose();
  });

  it('lets weights move further without the norm constraint', async () => {
    const outcome = await fineTune({ seed: 0 }, model, [MICRO_REQUEST], { ...preset, normConstraint: false });
    expect((outcome.info as unknown as FtInfo).maxAbsDelta).toBeGreaterThan(preset.normConstraint as number);
    outcome.restore();
    outcome.dispose();
  });

  it('skips steps whose loss is under the threshold and stops after an epoch under it', async () => {
    const before = weightBytes(model);
    const outcome = await fineTune({ seed: 0 }, model, [MICRO_REQUEST], { ...preset, lossThreshold: 100 });
    const info = outcome.info as unknown as FtInfo;
    expect(info.optimizerSteps).toBe(0);
    expect(info.epochLosses).toHaveLength(1);
    expect(differingWeights(before, weightBytes(model))).toEqual([]);
    outcome.dispose();
  });

  it('restores the weights itself when cancelled mid-training', async () => {
    const before = weightBytes(model);
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    const run = fineTune(
      { seed: 0, signal: controller.signal, onProgress: () => controller.abort() },
      model,
      [MICRO_REQUEST],
      preset,
    );
    await expect(run).rejects.toThrow(/abort/i);
    expect(differingWeights(before, weightBytes(model))).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('FT-L and FT-M are the same edit for a one-token target, and differ for a longer one', async () => {
    const run = async (method: typeof ftL, request: EditRequest) => {
      const result = await edit({
        method,
        model,
        requests: request,
        hparams: ftPreset(method.id as 'ft-l', 'micro'),
      });
      const deltas = [...(result.outcomes[0]?.deltas.values() ?? [])].map(tensorBytes);
      result.revert();
      result.dispose();
      return deltas;
    };
    expect(await run(ftL, MICRO_REQUEST)).toEqual(await run(ftM, MICRO_REQUEST));
    expect(await run(ftL, multiToken)).not.toEqual(await run(ftM, multiToken));
  });

  it('edits several requests in one batch', async () => {
    const requests = [
      MICRO_REQUEST,
      { prompt: 'Norma Shearer, who has a citizenship from', targetNew: 'English' },
    ];
    const result = await edit({
      method: ftM,
      model,
      requests,
      mode: 'batch',
      hparams: { ...ftMHparams.parse(ftPreset('ft-m', 'micro')), batchSize: 2, normConstraint: 0.05 },
    });
    const predicted = nextTokens(
      model,
      requests.map((r) => requestTokens(model, r).promptIds),
    ).map((n) => n.argmax);
    expect(predicted).toEqual(requests.map((r) => requestTokens(model, r).targetId));
    expect(result.steps).toHaveLength(1);
    result.revert();
    result.dispose();
  });
});
