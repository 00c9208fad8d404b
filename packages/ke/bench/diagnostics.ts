// KE diagnostics on the evaluation split: how the trained hypernetwork's update relates to the plain
// fine-tuning gradient it reads, and whether it edits better than a gradient step of the same size.
// Run: pnpm --filter @llmedit/ke diagnostics [--model default] [--n 20] [--artifact artifacts/default]
import { type EditRequest, initBackend, type Tensor, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { applyDeltas, requestExample } from '@llmedit/meta-train';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { type CheckpointName, commandLineOrExit, loadPretrained } from '@llmedit/pretrained';
import { loadKeArtifact } from '../src/artifact.js';
import { conditionIds, editGradients } from '../src/gradient.js';
import { keArtifactRef } from '../src/method.js';

const { values } = commandLineOrExit(
  'ke diagnostics',
  'Usage: pnpm --filter @llmedit/ke diagnostics [--model default] [--n 20] [--artifact artifacts/default]',
  {
    model: { type: 'string', default: 'default' },
    n: { type: 'string', default: '20' },
    artifact: { type: 'string' },
  },
);
await initBackend();
const model = loadPretrained(values.model as CheckpointName);
const artifact = loadKeArtifact(values.artifact ?? keArtifactRef('default').dir, model);
const { editor, config } = artifact;
const n = Number(values.n);

/** Per-token probability of the target after the prompt (the geometric mean over its tokens). */
function probability(m: CausalLM, prompt: string, target: string): number {
  const [score] = scoreTargets(m, [{ prompt, target }]);
  return Math.exp(score!.logProbs.reduce((s, l) => s + l, 0) / score!.logProbs.length);
}

/** Cosine of two tensors and the ratio of their norms. */
function compare(a: Tensor, b: Tensor): { cosine: number; ratio: number } {
  const [dot, na, nb] = tf
    .tidy(() => [tf.sum(tf.mul(a, b)), tf.norm(a), tf.norm(b)])
    .map((t) => {
      const v = t.dataSync()[0]!;
      t.dispose();
      return v;
    }) as [number, number, number];
  return { cosine: dot / (na * nb), ratio: na / nb };
}

/** p(target) on the prompt and its first rephrase after writing `deltas`, then the weights restored. */
function probabilitiesWith(request: EditRequest, deltas: ReadonlyMap<string, Tensor>) {
  const snapshot = applyDeltas(model, deltas);
  try {
    return {
      prompt: probability(model, request.prompt, request.targetNew),
      rephrase: probability(model, request.rephrasePrompts?.[0] ?? request.prompt, request.targetNew),
    };
  } finally {
    snapshot.restore();
    snapshot.dispose();
  }
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const rows: string[] = [];
for (const dataset of ['zsre', 'counterfact'] as const) {
  const stats = {
    cosine: [] as number[],
    ratio: [] as number[],
    before: [] as number[],
    ke: [] as number[],
    keRephrase: [] as number[],
    step: [] as number[],
    stepRephrase: [] as number[],
  };
  for (const [i, request] of loadSplit(dataset, 'eval').slice(0, n).entries()) {
    const example = requestExample(model, request, config.hparams.maxLength, i);
    const gradients = editGradients(model, [example], editor.weights);
    const deltas = editor.deltas([conditionIds(model, request, config.hparams.maxLength)], gradients);
    // A plain gradient-descent step of the same Frobenius norm as KE's update, weight by weight.
    const steps = new Map<string, Tensor>();
    for (const [name, delta] of deltas) {
      const { cosine, ratio } = compare(
        delta,
        tf.tidy(() => tf.neg(gradients.get(name)!)),
      );
      stats.cosine.push(cosine);
      stats.ratio.push(ratio);
      steps.set(
        name,
        tf.tidy(() => tf.mul(gradients.get(name)!, -ratio)),
      );
    }
    stats.before.push(probability(model, request.prompt, request.targetNew));
    const ke = probabilitiesWith(request, deltas);
    const step = probabilitiesWith(request, steps);
    stats.ke.push(ke.prompt);
    stats.keRephrase.push(ke.rephrase);
    stats.step.push(step.prompt);
    stats.stepRephrase.push(step.rephrase);
    tf.dispose([...gradients.values(), ...deltas.values(), ...steps.values()]);
  }
  rows.push(
    `| ${dataset} | ${mean(stats.cosine).toFixed(3)} | ${mean(stats.ratio).toExponential(2)} | ` +
      `${mean(stats.before).toFixed(3)} | ${mean(stats.ke).toFixed(3)} / ${mean(stats.keRephrase).toFixed(3)} | ` +
      `${mean(stats.step).toFixed(3)} / ${mean(stats.stepRephrase).toFixed(3)} |`,
  );
}
console.log(
  `KE diagnostics, ${values.model} model, first ${n} evaluation records per data set (artifact step ${config.report.bestStep})\n`,
);
console.log(
  '| data set | cos(Δ, −∇W) | ‖Δ‖ / ‖∇W‖ | per-token p(target) before | KE: prompt / rephrase | same-norm gradient step: prompt / rephrase |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
artifact.dispose();
model.dispose();
