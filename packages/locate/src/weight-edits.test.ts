import { LlmeditError, type Tensor2D, tf } from '@llmedit/core';
import { createModel, type LlamaConfig, randomWeights } from '@llmedit/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { microModel } from '../test/micro.js';
import { WeightEdits } from './weight-edits.js';

beforeAll(microModel);

const llama: LlamaConfig = {
  architecture: 'llama',
  vocabSize: 40,
  maxPositions: 16,
  hiddenSize: 8,
  numLayers: 1,
  numHeads: 2,
  numKeyValueHeads: 2,
  headDim: 4,
  intermediateSize: 12,
  rmsNormEpsilon: 1e-6,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
};

describe('WeightEdits', () => {
  it('adds an [in, out] update to LLaMA down_proj ([out, in]) transposed, and restores exactly', () => {
    const model = createModel(llama, randomWeights(llama, 1));
    const location = model.layout.mlpOutProjection(0);
    const original = model.weight(location.name).arraySync() as number[][];
    const update = tf.tensor2d(
      Float32Array.from({ length: 12 * 8 }, (_, i) => i / 10),
      [12, 8],
    ) as Tensor2D;
    const before = tf.memory().numTensors;
    const edits = new WeightEdits(model);
    edits.addInOut(location, update);
    edits.addInOut(location, update);
    const edited = model.weight(location.name).arraySync() as number[][];
    expect(edited.length).toBe(8);
    expect(edited[3]?.[5]).toBeCloseTo((original[3]?.[5] as number) + (2 * (5 * 8 + 3)) / 10, 5);
    const outcome = edits.outcome({ note: 1 });
    expect([...outcome.deltas.keys()]).toEqual([location.name]);
    const delta = outcome.deltas.get(location.name);
    expect((delta?.arraySync() as number[][] | undefined)?.[3]?.[5]).toBeCloseTo(2 * 4.3, 4);
    outcome.restore();
    expect(model.weight(location.name).arraySync()).toEqual(original);
    outcome.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => outcome.restore()).toThrow(LlmeditError);
    update.dispose();
    model.dispose();
  });

  it('adds GPT-2 c_proj updates ([in, out]) as they are, and rejects a wrong shape', async () => {
    const model = await microModel();
    const location = model.layout.mlpOutProjection(1);
    const edits = new WeightEdits(model);
    const wrong = tf.zeros([3, 3]) as Tensor2D;
    expect(() => edits.addInOut(location, wrong)).toThrow(/expected shape/);
    const update = tf.ones([128, 32]) as Tensor2D;
    const original = model.weight(location.name).dataSync().slice();
    edits.addInOut(location, update);
    expect(model.weight(location.name).dataSync()[40]).toBeCloseTo((original[40] as number) + 1, 5);
    edits.restoreAndDispose();
    expect(Array.from(model.weight(location.name).dataSync())).toEqual(Array.from(original));
    tf.dispose([wrong, update]);
    model.dispose();
  });
});
