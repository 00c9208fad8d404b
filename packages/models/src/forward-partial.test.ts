import { InvalidRequestError, type Tensor, type Tensor2D, type Tensor3D, tf } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, noisyWeights, randomIds, tinyGpt2, tinyLlama, useWasm } from '../test/fixtures.js';
import { padBatch } from './batching.js';
import { type CausalLM, KvCache } from './causal-lm.js';
import type { ModelConfig } from './config.js';
import { createModel } from './create.js';

beforeAll(useWasm);

const architectures: [string, ModelConfig][] = [
  ['gpt2', tinyGpt2],
  ['llama', tinyLlama],
];

function values(t: Tensor | undefined): number[] {
  const out = Array.from(t!.dataSync());
  t!.dispose();
  return out;
}

describe.each(architectures)('%s forward resumed at a layer (startAtLayer)', (_name, config) => {
  let model: CausalLM;
  beforeAll(() => {
    model = createModel(config, noisyWeights(config, 11));
  });
  // Right and left padding, so that masks and positions must come from the batch, not the hidden state.
  const batch = padBatch([randomIds(1, 7, config.vocabSize), randomIds(2, 4, config.vocabSize)], 0, 'left');
  const positions: [number, number][] = [
    [0, 6],
    [1, 5],
    [1, 6],
  ];

  it('gives the full forward logits from the residual after the previous block, at every layer', () => {
    const full = values(model.forward(batch, { logits: { positions } }).logits);
    for (let layer = 0; layer <= config.numLayers; layer++) {
      const before =
        layer === 0
          ? model.forward(batch, { logits: 'none', hooks: [{ point: model.layout.embed(), capture: true }] })
          : model.forward(batch, {
              stopAfterLayer: layer - 1,
              hooks: [{ point: model.layout.residual(layer - 1), capture: true }],
            });
      const hidden = Object.values(before.captured)[0] as Tensor3D;
      const resumed = values(
        model.forward(batch, { startAtLayer: { layer, hidden }, logits: { positions } }).logits,
      );
      hidden.dispose();
      expect(maxAbsDiff(resumed, full)).toBeLessThan(1e-5);
    }
  });

  it('skips the hooks below the start layer and fires those above', () => {
    const hidden = tf.zeros([2, 7, config.hiddenSize]) as Tensor3D;
    const { captured, logits } = model.forward(batch, {
      startAtLayer: { layer: 1, hidden },
      logits: 'none',
      hooks: [
        { point: model.layout.mlpOut(0), capture: true },
        { point: model.layout.mlpOut(1), capture: true },
      ],
    });
    expect(logits).toBeUndefined();
    expect(Object.keys(captured)).toEqual(['mlpOut.1']);
    tf.dispose([hidden, ...Object.values(captured)]);
  });

  it('is differentiable w.r.t. the hidden state, matching a finite difference', () => {
    // Grouped KV heads use a rank-5 tile whose gradient tfjs lacks; that is independent of resuming.
    const mha: ModelConfig =
      config.architecture === 'llama' ? { ...config, numKeyValueHeads: config.numHeads } : config;
    const model = createModel(mha, noisyWeights(mha, 11));
    const captured = model.forward(batch, {
      stopAfterLayer: 0,
      hooks: [{ point: model.layout.residual(0), capture: true }],
    }).captured;
    const hidden = captured['residual.0'] as Tensor3D;
    const direction = tf.randomNormal(hidden.shape, 0, 1, 'float32', 3) as Tensor3D;
    const loss = (h: Tensor3D) =>
      tf.sum(
        tf.logSoftmax(
          model.forward(batch, { startAtLayer: { layer: 1, hidden: h }, logits: { positions } })
            .logits as Tensor2D,
        ),
      );
    const grad = tf.grad((h: Tensor) => loss(h as Tensor3D))(hidden);
    const analytic = tf.sum(tf.mul(grad, direction)).dataSync()[0] as number;
    const eps = 1e-2;
    const plus = tf.tidy(
      () => loss(tf.add(hidden, tf.mul(direction, eps)) as Tensor3D).dataSync()[0] as number,
    );
    const minus = tf.tidy(
      () => loss(tf.sub(hidden, tf.mul(direction, eps)) as Tensor3D).dataSync()[0] as number,
    );
    const numeric = (plus - minus) / (2 * eps);
    expect(Math.abs(analytic - numeric)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    tf.dispose([hidden, direction, grad]);
    model.dispose();
  });

  it('resumes over a read-only KV cache of a prefix: same logits as the full forward, cache unchanged', () => {
    // Rows split after a different number of tokens; prefixes left-padded, continuations right-padded.
    const rows = [randomIds(5, 9, config.vocabSize), randomIds(6, 6, config.vocabSize)];
    const cut = [4, 2];
    const full = model.forward(padBatch(rows, 0, 'right'), { logits: 'all' }).logits as Tensor3D;
    const fullValues = full.arraySync() as number[][][];
    full.dispose();
    const cache = new KvCache();
    const prefix = padBatch(
      rows.map((row, b) => row.slice(0, cut[b])),
      0,
      'left',
    );
    model.forward(prefix, { cache, logits: 'none' });
    const suffix = padBatch(
      rows.map((row, b) => row.slice(cut[b])),
      0,
      'right',
    );
    const before = tf.memory().numTensors;
    const cacheLength = cache.length;
    const layer = 1;
    const { captured } = model.forward(suffix, {
      cache,
      readOnlyCache: true,
      stopAfterLayer: layer - 1,
      hooks: [{ point: model.layout.residual(layer - 1), capture: true }],
    });
    const hidden = captured[`residual.${layer - 1}`] as Tensor3D;
    const logits = model.forward(suffix, {
      cache,
      readOnlyCache: true,
      startAtLayer: { layer, hidden },
      logits: 'all',
    }).logits as Tensor3D;
    const values = logits.arraySync() as number[][][];
    tf.dispose([hidden, logits]);
    expect(tf.memory().numTensors).toBe(before);
    expect(cache.length).toBe(cacheLength);
    rows.forEach((row, b) => {
      for (let t = cut[b] as number; t < row.length; t++) {
        const got = values[b]?.[t - (cut[b] as number)] as number[];
        expect(maxAbsDiff(got, fullValues[b]?.[t] as number[])).toBeLessThan(1e-4);
      }
    });
    cache.dispose();
  });

  it('rejects a bad layer, a wrong hidden shape and a KV cache, leaking nothing', () => {
    const before = tf.memory().numTensors;
    const hidden = tf.zeros([2, 7, config.hiddenSize]) as Tensor3D;
    const wrong = tf.zeros([2, 6, config.hiddenSize]) as Tensor3D;
    expect(() => model.forward(batch, { startAtLayer: { layer: config.numLayers + 1, hidden } })).toThrow(
      InvalidRequestError,
    );
    expect(() => model.forward(batch, { startAtLayer: { layer: 1, hidden: wrong } })).toThrow(/shape/);
    const cache = new KvCache();
    expect(() => model.forward(batch, { startAtLayer: { layer: 1, hidden }, cache })).toThrow(/read-only/);
    tf.dispose([hidden, wrong]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
