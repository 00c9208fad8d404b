import { edit, initBackend, tf } from '@llmedit/core';
import { scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { MICRO_REQUEST, MICRO_UNRELATED_PROMPTS } from '@llmedit/testing';
import { tPatcher, tPatcherPreset } from '../src/index.js';

await initBackend({ prefer: ['wasm'] });
const model = loadPretrained('micro');
const t0 = performance.now();
const result = await edit({
  method: tPatcher,
  model,
  requests: MICRO_REQUEST,
  hparams: tPatcherPreset('micro'),
});
console.log('ms', performance.now() - t0, JSON.stringify(result.outcomes[0]!.info));
const [s] = scoreTargets(result.model, [{ prompt: MICRO_REQUEST.prompt, target: MICRO_REQUEST.targetNew }]);
console.log(s);
console.log(tf.memory().numTensors);
result.revert();
result.dispose();
console.log(tf.memory().numTensors, MICRO_UNRELATED_PROMPTS.length);
