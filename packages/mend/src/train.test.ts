import { InvalidHparamsError, initBackend, tf } from '@llmedit/core';
import { loadMicroModel } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { microHparams, microTrainingRequests } from './test-fixture.js';
import { trainMend } from './train.js';

describe('trainMend', () => {
  let model: ReturnType<typeof loadMicroModel>;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = loadMicroModel();
  });
  afterAll(() => model.dispose());

  const short = { steps: 3, validateEvery: 3, validationEdits: 4, patience: 3 };

  it('gives the same editor on worker threads as on this thread (data-parallel meta-gradient), leaking nothing', async () => {
    const requests = microTrainingRequests(40);
    const tensors = tf.memory().numTensors;
    const weights = model.weight(model.layout.mlpOutProjection(1).name).dataSync().slice();
    const single = await trainMend(model, requests, microHparams({ ...short, threads: 1 }), { seed: 1 });
    const parallel = await trainMend(model, requests, microHparams({ ...short, threads: 2 }), { seed: 1 });
    const a = single.editor.toHost();
    const b = parallel.editor.toHost();
    let largest = 0;
    for (const [name, t] of a) {
      const other = b.get(name)!.data;
      t.data.forEach((v, i) => {
        largest = Math.max(largest, Math.abs(v - other[i]!) / (Math.abs(v) + 1e-3));
      });
    }
    expect(largest).toBeLessThan(1e-2);
    expect(single.config.report.steps).toBe(3);
    single.dispose();
    parallel.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    // Training edits the weights during each step and restores them exactly.
    expect(model.weight(model.layout.mlpOutProjection(1).name).dataSync()).toEqual(weights);
  });

  it('refuses a layer the model does not have', async () => {
    await expect(
      trainMend(model, microTrainingRequests(10), microHparams({ ...short, layers: [2] }), { seed: 0 }),
    ).rejects.toThrow(InvalidHparamsError);
  });
});
