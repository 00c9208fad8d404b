import { createRng, InvalidRequestError, randomNormalArray, ShapeMismatchError, tf } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, noisyWeights, randomIds, tinyGpt2, tinyLlama, useWasm } from '../test/fixtures.js';
import type { AddedNeuronsInit } from './added-neurons.js';
import type { CausalLM } from './causal-lm.js';
import type { ModelConfig } from './config.js';
import { createModel } from './create.js';
import { generateIds } from './generate.js';
import type { HostTensor } from './weights.js';

beforeAll(useWasm);

const architectures: [string, ModelConfig][] = [
  ['gpt2', tinyGpt2],
  ['llama', tinyLlama],
];
const LAYER = 1;
const ADDED = 3;

function logits(model: CausalLM, ids: number[][]): Float32Array {
  const { logits: out } = model.forward(
    { ids, attentionMask: ids.map((row) => row.map(() => 1)) },
    { logits: 'all' },
  );
  const data = out!.dataSync() as Float32Array;
  out!.dispose();
  return data;
}

function bitEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Random neuron rows (host arrays) for k neurons of a model with hidden size d. */
function randomNeurons(config: ModelConfig, seed: number, zeroValues = false) {
  const rng = createRng(seed);
  const d = config.hiddenSize;
  return {
    keys: randomNormalArray(rng, ADDED * d, 0.3),
    bias: randomNormalArray(rng, ADDED, 0.3),
    up: randomNormalArray(rng, ADDED * d, 0.3),
    values: zeroValues ? new Float32Array(ADDED * d) : randomNormalArray(rng, ADDED * d, 0.3),
  };
}

function initOf(config: ModelConfig, host: ReturnType<typeof randomNeurons>, withBias = true) {
  const d = config.hiddenSize;
  const init: AddedNeuronsInit = {
    keys: tf.tensor2d(host.keys, [ADDED, d]),
    values: tf.tensor2d(host.values, [ADDED, d]),
    ...(withBias ? { bias: tf.tensor1d(host.bias) } : {}),
    ...(config.architecture === 'llama' ? { up: tf.tensor2d(host.up, [ADDED, d]) } : {}),
  };
  return { init, dispose: () => tf.dispose(Object.values(init)) };
}

/** The checkpoint of the same model with the FFN of LAYER really widened (weights concatenated). */
function widenedCheckpoint(
  config: ModelConfig,
  weights: Map<string, HostTensor>,
  host: ReturnType<typeof randomNeurons>,
): { config: ModelConfig; weights: Map<string, HostTensor> } {
  const d = config.hiddenSize;
  const inner = config.intermediateSize;
  const wide = inner + ADDED;
  const out = new Map<string, HostTensor>();
  for (const [name, tensor] of weights) {
    const isLayer = name.includes(`.${LAYER}.mlp.`);
    if (!isLayer) {
      // Every layer but LAYER keeps its size: only LAYER's config width changes, so pad the others with
      // zero neurons (zero in and out weights add exactly nothing).
      if (!name.includes('.mlp.')) {
        out.set(name, tensor);
        continue;
      }
    }
    const extra = isLayer
      ? host
      : {
          keys: new Float32Array(ADDED * d),
          bias: new Float32Array(ADDED),
          up: new Float32Array(ADDED * d),
          values: new Float32Array(ADDED * d),
        };
    const data = new Float32Array(name.endsWith('c_proj.bias') ? 0 : (tensor.data.length / inner) * wide);
    if (name.endsWith('c_fc.weight')) {
      // [d, inner] -> [d, wide]: neuron i's key is column inner + i.
      for (let r = 0; r < d; r++) {
        data.set(tensor.data.subarray(r * inner, (r + 1) * inner), r * wide);
        for (let i = 0; i < ADDED; i++) data[r * wide + inner + i] = extra.keys[i * d + r]!;
      }
      out.set(name, { shape: [d, wide], data });
    } else if (name.endsWith('c_fc.bias')) {
      data.set(tensor.data);
      data.set(extra.bias, inner);
      out.set(name, { shape: [wide], data });
    } else if (
      name.endsWith('c_proj.weight') ||
      name.endsWith('gate_proj.weight') ||
      name.endsWith('up_proj.weight')
    ) {
      // Rows are neurons: [inner, d] -> [wide, d].
      const rows = name.endsWith('c_proj.weight')
        ? extra.values
        : name.endsWith('gate_proj.weight')
          ? extra.keys
          : extra.up;
      data.set(tensor.data);
      data.set(rows, inner * d);
      out.set(name, { shape: [wide, d], data });
    } else if (name.endsWith('down_proj.weight')) {
      // [d, inner] -> [d, wide]: neuron i's value is column inner + i.
      for (let r = 0; r < d; r++) {
        data.set(tensor.data.subarray(r * inner, (r + 1) * inner), r * wide);
        for (let i = 0; i < ADDED; i++) data[r * wide + inner + i] = extra.values[i * d + r]!;
      }
      out.set(name, { shape: [d, wide], data });
    } else {
      out.set(name, tensor);
    }
  }
  return { config: { ...config, intermediateSize: wide }, weights: out };
}

describe.each(architectures)('%s added FFN neurons', (_name, config) => {
  const weights = noisyWeights(config, 11);
  const ids = [randomIds(3, 9, config.vocabSize), randomIds(4, 9, config.vocabSize)];
  let model: CausalLM;
  beforeAll(() => {
    model = createModel(config, weights);
  });

  it('equal a checkpoint whose FFN weights are concatenated with the new neurons (within 1e-5)', () => {
    const host = randomNeurons(config, 5);
    // LLaMA's FFN has no bias: the concatenated checkpoint can only express a zero one.
    const { init, dispose } = initOf(config, host, config.architecture === 'gpt2');
    const block = model.addNeurons(LAYER, init);
    dispose();
    const wide = widenedCheckpoint(config, weights, host);
    const reference = createModel(wide.config, wide.weights);
    try {
      const difference = maxAbsDiff(logits(model, ids), logits(reference, ids));
      expect(difference).toBeLessThan(1e-5);
      expect(model.mlpWidth(LAYER)).toBe(config.intermediateSize + ADDED);
      expect(model.mlpWidth(0)).toBe(config.intermediateSize);
    } finally {
      reference.dispose();
      model.removeNeurons(block);
    }
  });

  it('leave every logit bit-identical while their values are zero', () => {
    const before = logits(model, ids);
    const { init, dispose } = initOf(config, randomNeurons(config, 6, true));
    const block = model.addNeurons(LAYER, init);
    dispose();
    try {
      expect(bitEqual(logits(model, ids), before)).toBe(true);
    } finally {
      model.removeNeurons(block);
    }
  });

  it('are removed exactly: logits bit-identical, no tensor left, other blocks kept', () => {
    const tensors = tf.memory().numTensors;
    const before = logits(model, ids);
    const first = initOf(config, randomNeurons(config, 7));
    const a = model.addNeurons(LAYER, first.init);
    first.dispose();
    const withA = logits(model, ids);
    const second = initOf(config, randomNeurons(config, 8));
    const b = model.addNeurons(0, second.init);
    second.dispose();
    expect(maxAbsDiff(logits(model, ids), withA)).toBeGreaterThan(1e-4);
    model.removeNeurons(b);
    expect(bitEqual(logits(model, ids), withA)).toBe(true);
    expect(model.addedNeurons()).toEqual([a]);
    model.removeNeurons(a);
    model.removeNeurons(a); // idempotent
    expect(a.attached).toBe(false);
    expect(bitEqual(logits(model, ids), before)).toBe(true);
    expect(model.addedNeurons()).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('expose their activations as a hook point, and keep the original hook widths', () => {
    const { init, dispose } = initOf(config, randomNeurons(config, 9));
    const block = model.addNeurons(LAYER, init);
    dispose();
    try {
      const batch = { ids, attentionMask: ids.map((row) => row.map(() => 1)) };
      const { captured, logits: out } = model.forward(batch, {
        logits: 'none',
        hooks: [
          { point: block.point, capture: true },
          { point: model.layout.mlpKey(LAYER), capture: true },
        ],
      });
      expect(out).toBeUndefined();
      expect(captured[block.point.key]!.shape).toEqual([2, 9, ADDED]);
      expect(captured[`mlpKey.${LAYER}`]!.shape).toEqual([2, 9, config.intermediateSize]);
      tf.dispose(Object.values(captured));
      // Zeroing the block's activations through its hook gives the unwidened model's logits.
      model.removeNeurons(block);
      const plain = logits(model, ids);
      const again = initOf(config, randomNeurons(config, 9));
      const block2 = model.addNeurons(LAYER, again.init);
      again.dispose();
      const { logits: ablated } = model.forward(batch, {
        hooks: [{ point: block2.point, replace: (a) => tf.zerosLike(a) }],
      });
      expect(maxAbsDiff(ablated!.dataSync(), plain)).toBe(0);
      ablated!.dispose();
      model.removeNeurons(block2);
    } finally {
      model.removeNeurons(block);
    }
  });

  it('read the mlpIn hook point: their activation is act(mlpIn K^T + b)', () => {
    const { init, dispose } = initOf(config, randomNeurons(config, 12));
    const block = model.addNeurons(LAYER, init);
    dispose();
    try {
      const batch = { ids, attentionMask: ids.map((row) => row.map(() => 1)) };
      const { captured } = model.forward(batch, {
        logits: 'none',
        hooks: [
          { point: model.layout.mlpIn(LAYER), capture: true },
          { point: block.point, capture: true },
        ],
      });
      const query = captured[`mlpIn.${LAYER}`]!;
      expect(query.shape).toEqual([2, 9, config.hiddenSize]);
      expect(model.layout.point(`mlpIn.${LAYER}`)).toEqual(model.layout.mlpIn(LAYER));
      const recomputed = tf.tidy(() =>
        block.activation(tf.reshape(query, [18, config.hiddenSize]) as never).dataSync(),
      );
      expect(maxAbsDiff(recomputed, captured[block.point.key]!.dataSync())).toBeLessThan(1e-6);
      tf.dispose(Object.values(captured));
    } finally {
      model.removeNeurons(block);
    }
  });

  it('generate the same tokens with and without the KV cache when widened', () => {
    const { init, dispose } = initOf(config, randomNeurons(config, 10));
    const block = model.addNeurons(LAYER, init);
    dispose();
    try {
      const prompts = [ids[0]!.slice(0, 5), ids[1]!.slice(0, 3)];
      const cached = generateIds(model, prompts, { maxNewTokens: 6, stopAtEos: false });
      const uncached = generateIds(model, prompts, { maxNewTokens: 6, stopAtEos: false, useCache: false });
      expect(cached).toEqual(uncached);
    } finally {
      model.removeNeurons(block);
    }
  });

  it('reject a wrong layer, mis-shaped weights and a foreign block with typed errors', () => {
    const d = config.hiddenSize;
    const keys = tf.zeros([2, d]) as never;
    const values = tf.zeros([2, d + 1]) as never;
    const up = tf.zeros([2, d]) as never;
    const extra = config.architecture === 'llama' ? { up } : {};
    try {
      expect(() => model.addNeurons(config.numLayers, { keys, values: keys, ...extra })).toThrow(
        InvalidRequestError,
      );
      expect(() => model.addNeurons(0, { keys, values, ...extra })).toThrow(ShapeMismatchError);
      if (config.architecture === 'llama') {
        expect(() => model.addNeurons(0, { keys, values: keys })).toThrow(/up/);
      } else {
        expect(() => model.addNeurons(0, { keys, values: keys, up })).toThrow(/LLaMA only/);
      }
      const other = createModel(config, weights);
      const foreign = other.addNeurons(0, { keys, values: keys, ...extra });
      expect(() => model.removeNeurons(foreign)).toThrow(InvalidRequestError);
      other.dispose();
      expect(foreign.attached).toBe(false);
    } finally {
      tf.dispose([keys, values, up]);
    }
  });
});
