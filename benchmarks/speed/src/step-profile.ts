// Where a training step of the default model's shape (8 x d192, vocab 4096, 64 x 32 tokens, forward and
// backward) spends its time, per tfjs kernel, on one backend and one thread: the profile that chose which
// kernels the native path replaces (issue 18).
// Run: pnpm --filter @llmedit/speed step-profile [--backend native|native-cpu|wasm|cpu] [--top 30]
import { type BackendName, describeBackend, initBackend, tf } from '@llmedit/core';
import { createRandomModel, type Gpt2Config, padBatch } from '@llmedit/models';
import { commandLineOrExit, defaultPreset, languageModelLoss } from '@llmedit/pretrained';

const { values: flags } = commandLineOrExit(
  'step-profile',
  `Usage: pnpm --filter @llmedit/speed step-profile [--backend NAME] [--top N]

  --backend NAME   native (default), native-cpu, wasm or cpu
  --top N          kernels listed (default 25)
  -h, --help       this text`,
  { backend: { type: 'string', default: 'native' }, top: { type: 'string', default: '25' } },
);

const info = await initBackend({ prefer: [flags.backend as BackendName], blasThreads: 1 });
const config: Gpt2Config = { ...defaultPreset.config, vocabSize: defaultPreset.tokenizerVocabSize };
const model = createRandomModel(config, { seed: 1 });
const batch = padBatch(
  Array.from({ length: 64 }, (_, b) => Array.from({ length: 32 }, (_, t) => (b * 7919 + t * 104729) % 4096)),
  0,
);
const variables = model.weightNames().map((w) => model.weight(w));
const step = () => {
  const { value, grads } = tf.variableGrads(() => languageModelLoss(model, batch), variables);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
step();
let best = Number.POSITIVE_INFINITY;
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  step();
  best = Math.min(best, performance.now() - t0);
}
const profile = await tf.profile(step);
const byKernel = new Map<string, { ms: number; calls: number }>();
for (const k of profile.kernels) {
  const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  entry.ms += Number(k.kernelTimeMs);
  entry.calls++;
  byKernel.set(k.name, entry);
}
const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
console.log(`${describeBackend(info)}, one thread: step ${best.toFixed(0)} ms (best of 3)`);
console.log(
  `${profile.kernels.length} kernel calls, ${kernelMs.toFixed(0)} ms inside kernels (profiled step)\n`,
);
console.log('| kernel | ms | calls | share |\n|---|---:|---:|---:|');
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(flags.top))) {
  console.log(`| ${name} | ${e.ms.toFixed(1)} | ${e.calls} | ${((100 * e.ms) / kernelMs).toFixed(1)}% |`);
}
model.dispose();
