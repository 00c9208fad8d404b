import { InvalidHparamsError, initBackend, tf } from '@llmedit/core';
import { loadMicroModel } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { microHparams, microTrainingRequests } from './test-fixture.js';
import { trainKe } from './train.js';

describe('trainKe', () => {
  let model: ReturnType<typeof loadMicroModel>;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = loadMicroModel();
  });
  afterAll(() => model.dispose());

  const short = { steps: 3, validateEvery: 3, validationEdits: 4, patience: 3 };

  it('is reproducible from its seed, gives the same hypernetwork on worker threads, restores the weights and leaks nothing', async () => {
    const requests = microTrainingRequests(40);
    const tensors = tf.memory().numTensors;
    const weights = model.weight(model.layout.mlpOutProjection(1).name).dataSync().slice();
    const first = await trainKe(model, requests, microHparams({ ...short, threads: 1 }), { seed: 1 });
    const again = await trainKe(model, requests, microHparams({ ...short, threads: 1 }), { seed: 1 });
    const parallel = await trainKe(model, requests, microHparams({ ...short, threads: 2 }), { seed: 1 });
    const a = first.editor.toHost();
    expect(again.editor.toHost()).toEqual(a);
    const b = parallel.editor.toHost();
    let largest = 0;
    for (const [name, t] of a) {
      const other = b.get(name)!.data;
      t.data.forEach((v, i) => {
        largest = Math.max(largest, Math.abs(v - other[i]!) / (Math.abs(v) + 1e-3));
      });
    }
    expect(largest).toBeLessThan(1e-2);
    expect(first.config.report.steps).toBe(3);
    // The fresh hypernetwork differs from the trained one: training moved it.
    expect(first.config.report.validationAfter).not.toEqual(first.config.report.validationBefore);
    for (const artifact of [first, again, parallel]) artifact.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(model.weight(model.layout.mlpOutProjection(1).name).dataSync()).toEqual(weights);
  });

  it('refuses a layer the model does not have', async () => {
    await expect(
      trainKe(model, microTrainingRequests(10), microHparams({ ...short, layers: [2] }), { seed: 0 }),
    ).rejects.toThrow(InvalidHparamsError);
  });
});
