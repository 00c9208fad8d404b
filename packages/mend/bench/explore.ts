import { initBackend, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { loadPretrained } from '@llmedit/pretrained';
import microPreset from '../hparams/micro.json' with { type: 'json' };
import { mendHparams } from '../src/hparams.ts';
import { trainMend } from '../src/train.ts';

await initBackend({ prefer: ['wasm'] });
const model = loadPretrained('micro');
const overrides = JSON.parse(process.argv[2] ?? '{}');
const hparams = mendHparams.parse({ ...microPreset, ...overrides });
const requests = loadSplit('counterfact', 'train').slice(0, 400);
const before = tf.memory().numTensors;
const t0 = performance.now();
const artifact = await trainMend(model, requests, hparams, { seed: 0 });
console.log(JSON.stringify(artifact.config.report, null, 1));
console.log('seconds', (performance.now() - t0) / 1000);
artifact.dispose();
console.log('tensors', tf.memory().numTensors - before);
