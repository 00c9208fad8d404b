import { type EditRequest, edit, initBackend, tf } from '@llmedit/core';
import { atBarePrompt, contextTemplates, optimizeValues, prepareRequests } from '@llmedit/locate';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { beforeAll, describe, expect, it } from 'vitest';
import { memitSystem } from './memit.js';
import { memit } from './method.js';
import { memitPreset } from './presets.js';

let micro: CausalLM;
beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
  micro = loadPretrained('micro');
});

const requests: EditRequest[] = [
  { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray', targetNew: 'French' },
  { prompt: 'Joe Walsh, the', subject: 'Joe Walsh', targetNew: 'pianist' },
  { prompt: 'Sony Alpha 900 is created by', subject: 'Sony Alpha 900', targetNew: 'Nokia' },
];

describe('MEMIT', () => {
  it('builds lambda C + K^T K and K^T R in float64', () => {
    // K = [[1, 2, 0], [0, 1, 3]], R = [[1, -1], [2, 0]], lambda = 2, C = I.
    const { a, b } = memitSystem(
      Float64Array.from([1, 2, 0, 0, 1, 3]),
      Float64Array.from([1, -1, 2, 0]),
      2,
      3,
      2,
      2,
      undefined,
    );
    expect(Array.from(a)).toEqual([3, 2, 0, 2, 7, 3, 0, 3, 11]);
    expect(Array.from(b)).toEqual([1, -1, 4, -2, 6, 0]);
    const withC = memitSystem(
      Float64Array.from([1, 0]),
      Float64Array.from([1]),
      1,
      2,
      1,
      3,
      Float64Array.from([1, 0.5, 0.5, 2]),
    );
    expect(Array.from(withC.a)).toEqual([4, 1.5, 1.5, 6]);
  });

  it('moves every fact of a batch to its target: residuals at the last layer reach z as lambda -> 0', async () => {
    // Bare prompts only, so that the keys solved for are exactly the ones measured afterwards.
    const hparams = {
      ...memitPreset('micro'),
      mom2Adjustment: false,
      mom2UpdateWeight: 1e-6,
      contextTemplateLengthParams: [],
    };
    const templates = contextTemplates(micro, hparams.contextTemplateLengthParams, 0);
    const prepared = prepareRequests(micro, requests, templates, hparams.factToken);
    const targets = optimizeValues(
      micro,
      prepared.map((p) => p.value),
      {
        layer: 0,
        at: 'residual',
        steps: hparams.vNumGradSteps,
        lr: hparams.vLr,
        weightDecay: hparams.vWeightDecay,
        clampNormFactor: hparams.clampNormFactor,
        klFactor: hparams.klFactor,
      },
    );
    const tensors = tf.memory().numTensors;
    const result = await edit({ method: memit, model: micro, requests, mode: 'batch', hparams });
    const after = atBarePrompt(micro, prepared, [micro.layout.residual(0)]).get('residual.0') as Float32Array;
    const d = micro.config.hiddenSize;
    targets.forEach((target, i) => {
      let error = 0;
      let size = 0;
      for (let j = 0; j < d; j++) {
        error += ((after[i * d + j] as number) - (target.target[j] as number)) ** 2;
        size += (target.target[j] as number) ** 2;
      }
      expect(Math.sqrt(error / size)).toBeLessThan(1e-3);
    });
    result.revert();
    result.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('spreads the residual over the layers and applies each update before the next layer', async () => {
    const result = await edit({
      method: memit,
      model: micro,
      requests,
      mode: 'batch',
      hparams: { ...memitPreset('micro'), layers: [0, 1] },
    });
    const info = result.outcomes[0]?.info as { layers: { layer: number; meanResidualNorm: number }[] };
    expect(info.layers.map((l) => l.layer)).toEqual([0, 1]);
    // Layer 0 covers part of the way to z (at L = 1), so less is missing when layer 1 is solved.
    expect(info.layers[1]?.meanResidualNorm).toBeLessThan(info.layers[0]?.meanResidualNorm as number);
    expect(result.touchedWeights).toEqual([
      'transformer.h.0.mlp.c_proj.weight',
      'transformer.h.1.mlp.c_proj.weight',
    ]);
    result.revert();
    result.dispose();
  });
});
