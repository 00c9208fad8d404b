import { initBackend, tf } from '@llmedit/core';
import { createRandomModel, padBatch } from '@llmedit/models';
import { languageModelLoss } from '../src/train/lm-loss.js';

const info = await initBackend({ prefer: ['wasm'] });
console.log(info);
for (const [layers, d] of [
  [4, 128],
  [4, 192],
  [4, 256],
] as const) {
  const model = createRandomModel(
    {
      architecture: 'gpt2',
      vocabSize: 4096,
      maxPositions: 128,
      hiddenSize: d,
      numLayers: layers,
      numHeads: d / 32,
      intermediateSize: 4 * d,
      layerNormEpsilon: 1e-5,
    },
    { seed: 1 },
  );
  const vars = model.weightNames().map((n) => model.weight(n));
  const B = 64,
    T = 32;
  const ids = Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => (b * 31 + t * 7) % 4096),
  );
  const batch = padBatch(ids, 0);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => languageModelLoss(model, batch), vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    times.push(performance.now() - t0);
  }
  const best = Math.min(...times.slice(1));
  console.log(
    `L${layers} d${d}: step ${best.toFixed(0)} ms, ${(((B * T) / best) * 1000).toFixed(0)} tok/s, tensors ${tf.memory().numTensors}`,
  );
  model.dispose();
}
