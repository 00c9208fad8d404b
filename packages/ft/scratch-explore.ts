import { initBackend, tf } from '@llmedit/core';
import { encodeTargetPair, padBatch, type CausalLM } from '@llmedit/models';
import { loadPretrained } from '../pretrained/src/index.js';
import { fineTune } from './src/fine-tune.js';
import { ftLHparams, ftMHparams } from './src/hparams.js';
await initBackend({ prefer: [(process.env.BK ?? 'wasm') as 'wasm'] });
const model = loadPretrained('micro');
const tok = model.requireTokenizer();
const unrelated = ['BBC One, by', 'The capital of France is', 'Danielle Darrieux, a native', 'The mother tongue of Danielle Darrieux is', 'Toko Yasuda, the', 'Autonomous University of Madrid, which is located in', 'Apple A5 was created by', 'The official religion of Edwin of Northumbria is', 'Michael Jordan plays the sport of', 'Paris is the capital of'];
function argmaxes(m: CausalLM, prompts: string[]) {
  return prompts.map((p) => { const { logits } = m.forward(padBatch([tok.encode(p)], 0), { logits: 'last' }); const a = tf.argMax(logits!, 1); const v = a.dataSync()[0]!; a.dispose(); logits!.dispose(); return v; });
}
const request = { prompt: 'The Eiffel Tower is located in', subject: 'Eiffel Tower', targetNew: 'Rome' };
const target = encodeTargetPair(model, request.prompt, request.targetNew).targetIds[0]!;
const pre = argmaxes(model, unrelated);
for (const cfg of JSON.parse(process.env.CFGS ?? '[{}]')) {
  const spec = cfg.objectiveOptimization === 'target_new' ? ftMHparams : ftLHparams;
  const h = spec.parse(cfg);
  const snap = model.snapshotWeights();
  const n0 = tf.memory().numTensors;
  const t0 = performance.now();
  const out = await fineTune({ seed: 0 }, model, [request], h);
  const ms = performance.now() - t0;
  const [req] = argmaxes(model, [request.prompt]);
  const { logits } = model.forward(padBatch([encodeTargetPair(model, request.prompt, request.targetNew).promptIds], 0), { logits: 'last' });
  const p = tf.tidy(() => tf.softmax(logits!).gather([target], 1)); const prob = p.dataSync()[0]; p.dispose(); logits!.dispose();
  const post = argmaxes(model, unrelated);
  const changed = post.filter((a, i) => a !== pre[i]).length;
  const info = out.info as any;
  out.restore(); out.dispose(); snap.restore(); snap.dispose();
  console.log(JSON.stringify(cfg), `flip=${req === target} p=${prob!.toFixed(3)} changed=${changed}/${unrelated.length} ms=${ms.toFixed(0)} steps=${info.optimizerSteps} maxAbs=${info.maxAbsDelta.toExponential(2)} losses=${info.epochLosses.map((l: number) => l.toFixed(2)).join(',')} leak=${tf.memory().numTensors - n0}`);
}
