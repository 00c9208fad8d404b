import { type Tensor3D, tf } from '@llmedit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, noisyWeights, randomIds, tinyGpt2, tinyLlama, useWasm } from '../test/fixtures.js';
import { referenceGpt2, referenceLlama } from '../test/reference-forward.js';
import { padBatch } from './batching.js';
import type { CausalLM } from './causal-lm.js';
import type { ModelConfig } from './config.js';
import { createModel } from './create.js';
import { generateIds } from './generate.js';

beforeAll(useWasm);

const architectures: [string, ModelConfig, typeof referenceGpt2 | typeof referenceLlama][] = [
  ['gpt2', tinyGpt2, referenceGpt2 as never],
  ['llama', tinyLlama, referenceLlama as never],
];

function logitsOf(model: CausalLM, ids: number[][], side: 'left' | 'right' = 'right') {
  const batch = padBatch(ids, 0, side);
  const { logits } = model.forward(batch, { logits: 'all' });
  const values = logits!.arraySync() as number[][][];
  logits!.dispose();
  return { values, offsets: batch.offsets };
}

describe.each(architectures)('%s forward', (_name, config, reference) => {
  const weights = noisyWeights(config, 7);
  let model: CausalLM;
  beforeAll(() => {
    model = createModel(config, weights);
  });

  it('equals the plain-TypeScript reference forward within 1e-4', () => {
    const sequences = [randomIds(1, 9, config.vocabSize), randomIds(2, 9, config.vocabSize)];
    const { values } = logitsOf(model, sequences);
    for (let b = 0; b < sequences.length; b++) {
      const expected = (reference as (c: ModelConfig, w: typeof weights, ids: number[]) => number[][])(
        config,
        weights,
        sequences[b]!,
      );
      expect(maxAbsDiff(values[b]!.flat(), expected.flat())).toBeLessThan(1e-4);
    }
  });

  it('gives the same logits for real tokens with left padding, right padding and alone', () => {
    const sequences = [
      randomIds(3, 4, config.vocabSize),
      randomIds(4, 11, config.vocabSize),
      randomIds(5, 7, config.vocabSize),
    ];
    const left = logitsOf(model, sequences, 'left');
    const right = logitsOf(model, sequences, 'right');
    sequences.forEach((seq, b) => {
      const alone = logitsOf(model, [seq]).values[0]!;
      const fromLeft = left.values[b]!.slice(left.offsets[b]!, left.offsets[b]! + seq.length);
      const fromRight = right.values[b]!.slice(0, seq.length);
      expect(maxAbsDiff(fromLeft.flat(), alone.flat())).toBeLessThan(1e-5);
      expect(maxAbsDiff(fromRight.flat(), alone.flat())).toBeLessThan(1e-5);
    });
  });

  it('computes selected logits equal to the full logits at those positions', () => {
    const sequences = [randomIds(6, 6, config.vocabSize), randomIds(7, 3, config.vocabSize)];
    const batch = padBatch(sequences, 0, 'right');
    const full = logitsOf(model, sequences).values;
    const { logits: last } = model.forward(batch, { logits: 'last' });
    const { logits: picked } = model.forward(batch, {
      logits: {
        positions: [
          [1, 1],
          [0, 4],
        ],
      },
    });
    const lastRows = last!.arraySync() as number[][];
    const pickedRows = picked!.arraySync() as number[][];
    tf.dispose([last!, picked!]);
    expect(maxAbsDiff(lastRows[0]!, full[0]![5]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(lastRows[1]!, full[1]![2]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(pickedRows[0]!, full[1]![1]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(pickedRows[1]!, full[0]![4]!)).toBeLessThan(1e-5);
  });

  it('replacing an activation with itself changes nothing', () => {
    const sequences = [randomIds(8, 8, config.vocabSize)];
    const base = logitsOf(model, sequences).values;
    for (const point of [
      model.layout.embed(),
      model.layout.mlpKey(0),
      model.layout.mlpOut(1),
      model.layout.attnOut(0),
      model.layout.residual(0),
    ]) {
      const { logits } = model.forward(padBatch(sequences, 0), { hooks: [{ point, replace: (x) => x }] });
      const values = logits!.arraySync() as number[][][];
      logits!.dispose();
      expect(values).toEqual(base);
    }
  });

  it('replacing an activation at one position changes only that position and later ones', () => {
    const sequences = [randomIds(9, 8, config.vocabSize)];
    const base = logitsOf(model, sequences).values[0]!;
    const point = model.layout.mlpOut(0);
    const changedAt = 3;
    const { logits, captured } = model.forward(padBatch(sequences, 0), {
      hooks: [
        {
          point,
          capture: true,
          replace: (x) => {
            // A random direction: a constant shift would be removed by LayerNorm.
            const mask = tf.oneHot([changedAt], x.shape[1]).reshape([1, x.shape[1], 1]);
            const direction = tf.randomNormal([x.shape[2]], 0, 3, 'float32', 5);
            return tf.add(x, tf.mul(mask, direction)) as Tensor3D;
          },
        },
      ],
    });
    const values = (logits!.arraySync() as number[][][])[0]!;
    expect(captured[point.key]!.shape).toEqual([1, 8, config.hiddenSize]);
    tf.dispose([logits!, captured[point.key]!]);
    for (let t = 0; t < 8; t++) {
      const diff = maxAbsDiff(values[t]!, base[t]!);
      if (t < changedAt) expect(diff).toBe(0);
      else expect(diff).toBeGreaterThan(1e-3);
    }
  });

  it('cached generation equals uncached generation (greedy) and leaks no tensors', () => {
    const prompts = [randomIds(10, 5, config.vocabSize), randomIds(11, 2, config.vocabSize)];
    const before = tf.memory().numTensors;
    const cached = generateIds(model, prompts, { maxNewTokens: 8, stopAtEos: false });
    const uncached = generateIds(model, prompts, { maxNewTokens: 8, stopAtEos: false, useCache: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(cached).toEqual(uncached);
    expect(cached[0]).toHaveLength(8);
  });

  it('top-k sampling is reproducible from its seed and differs across seeds', () => {
    const prompts = [randomIds(12, 4, config.vocabSize)];
    const options = {
      maxNewTokens: 12,
      strategy: 'top-k',
      topK: 20,
      temperature: 2,
      stopAtEos: false,
    } as const;
    const a = generateIds(model, prompts, { ...options, seed: 1 });
    const b = generateIds(model, prompts, { ...options, seed: 1 });
    const c = generateIds(model, prompts, { ...options, seed: 2 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('leaves numTensors unchanged after forward outputs are disposed', () => {
    const before = tf.memory().numTensors;
    const { logits, captured } = model.forward(padBatch([randomIds(13, 6, config.vocabSize)], 0), {
      hooks: [{ point: model.layout.mlpKey(1), capture: true }],
    });
    tf.dispose([logits!, ...Object.values(captured)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mlpPre holds the activation function input: the MLP key is its activation', () => {
    const ids = padBatch([randomIds(21, 5, config.vocabSize)], 0);
    const { logits, captured } = model.forward(ids, {
      hooks: [
        { point: model.layout.mlpPre(1), capture: true },
        { point: model.layout.mlpKey(1), capture: true },
      ],
    });
    const pre = captured['mlpPre.1'] as Tensor3D;
    const key = captured['mlpKey.1'] as Tensor3D;
    expect(pre.shape).toEqual(key.shape);
    if (config.architecture === 'gpt2') {
      // GPT-2's tanh-approximated GELU of c_fc's output.
      const p = pre.dataSync();
      const expected = Array.from(
        p,
        (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
      );
      expect(maxAbsDiff(key.dataSync(), Float32Array.from(expected))).toBeLessThan(1e-5);
    } else {
      // LLaMA: a zeroed gate pre-activation zeroes the key (SiLU(0) = 0, whatever up_proj gives).
      const { captured: zeroed, logits: l2 } = model.forward(ids, {
        hooks: [
          { point: model.layout.mlpPre(1), replace: (x) => tf.zerosLike(x) },
          { point: model.layout.mlpKey(1), capture: true },
        ],
      });
      expect(Math.max(...Array.from((zeroed['mlpKey.1'] as Tensor3D).dataSync(), Math.abs))).toBe(0);
      tf.dispose([l2!, ...Object.values(zeroed)]);
    }
    tf.dispose([logits!, ...Object.values(captured)]);
  });

  it('restores a snapshot bit for bit', () => {
    const name = model.layout.mlpOutProjection(1).name;
    const original = model.weight(name).dataSync().slice();
    const before = tf.memory().numTensors;
    const snapshot = model.snapshotWeights([name]);
    const changed = tf.tidy(() => tf.add(model.weight(name), 1));
    model.setWeight(name, changed);
    changed.dispose();
    expect(maxAbsDiff(model.weight(name).dataSync(), original)).toBeGreaterThan(0.5);
    snapshot.restore();
    snapshot.dispose();
    expect(Array.from(model.weight(name).dataSync())).toEqual(Array.from(original));
    expect(tf.memory().numTensors).toBe(before);
  });
});
