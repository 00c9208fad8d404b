// Fidelity of `kn` to EasyEdit's easyeditor/models/kn/knowledge_neurons/knowledge_neurons.py, on the micro
// model, with the expected values computed here from the raw weights rather than through the package.
import { edit, initBackend, type Tensor, type Tensor2D, type Tensor3D, tf } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { loadMicroModel, MICRO_REQUEST } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAnswer, integratedGradients } from './attribution.js';
import { greedyIds, type KnInfo, kn } from './method.js';
import { knPreset } from './presets.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadMicroModel();
});

afterAll(() => model.dispose());

function embeddingRow(id: number): number[] {
  const row = tf.tidy(() => (model.weight('transformer.wte.weight') as Tensor2D).slice([id, 0], [1, -1]));
  const values = Array.from(row.dataSync());
  row.dispose();
  return values;
}

/** Row `index` of a [in, out] delta (GPT-2's Conv1D c_proj). */
function deltaRow(delta: Tensor, index: number): number[] {
  const row = tf.tidy(() => (delta as Tensor2D).slice([index, 0], [1, -1]));
  const values = Array.from(row.dataSync());
  row.dispose();
  return values;
}

async function editAndCheck(targetNew: string, expectedFactor: number) {
  const request = { ...MICRO_REQUEST, targetNew };
  const tokenizer = model.requireTokenizer();
  // EasyEdit: `tokenizer.encode(target)`, no leading space.
  const targetIds = tokenizer.encode(targetNew);
  const promptIds = tokenizer.encode(request.prompt);
  const greedy = greedyIds(model, promptIds, targetIds.length);
  const hidden = model.config.hiddenSize;
  const expected = new Array<number>(hidden).fill(0);
  for (const t of targetIds) {
    embeddingRow(t).forEach((v, i) => {
      expected[i]! += v;
    });
  }
  for (const g of greedy) {
    embeddingRow(g).forEach((v, i) => {
      expected[i]! -= expectedFactor * v;
    });
  }

  const result = await edit({ method: kn, model, requests: [request], hparams: knPreset('micro') });
  const outcome = result.outcomes[0]!;
  const info = outcome.info as unknown as KnInfo;
  expect(info.targetIds).toEqual(targetIds);
  expect(info.originalPredictionIds).toEqual(greedy);
  expect(info.neurons.length).toBeGreaterThan(0);
  for (const neuron of info.neurons) {
    const delta = outcome.deltas.get(model.layout.mlpOutProjection(neuron.layer).name)!;
    const row = deltaRow(delta, neuron.index);
    for (let i = 0; i < hidden; i++) expect(row[i]).toBeCloseTo(expected[i]!, 5);
  }
  result.revert();
  result.dispose();
  return { targetIds, info };
}

describe("kn follows EasyEdit's KN (GPT-2 path)", () => {
  it('moves E[t] - 2 E[argmax] into each value slot for a one-token target (unspaced)', async () => {
    // 'New' without a space is one token of the micro tokenizer; with a space it is another one.
    const { targetIds } = await editAndCheck('New', 2);
    expect(targetIds).toHaveLength(1);
    const spaced = encodeAnswer(model, MICRO_REQUEST.prompt, 'New', 'spaced').targetIds;
    expect(spaced).not.toEqual(targetIds);
  });

  it('moves sum E[t_j] - sum E[greedy_j] (each once) for a multi-token target', async () => {
    // 'French' is one token with its leading space (' French') but several without it.
    const { targetIds } = await editAndCheck('French', 1);
    expect(targetIds.length).toBeGreaterThan(1);
    expect(encodeAnswer(model, MICRO_REQUEST.prompt, 'French', 'spaced').targetIds).toHaveLength(1);
  });

  it('attributes over the pre-activation with linspace alphas at the prompt end: steps 2 is mean_j (g_j(0) + g_j(1)) / 2 * pre', () => {
    const layer = 1;
    // Several tokens unspaced; GPT-2's path scores each of them at the prompt's last position.
    const { promptIds, targetIds } = encodeAnswer(model, MICRO_REQUEST.prompt, 'English', 'unspaced');
    expect(targetIds.length).toBeGreaterThan(1);
    const last = promptIds.length - 1;
    const width = model.layout.mlpKeySize;
    const batch = { ids: [promptIds], attentionMask: [promptIds.map(() => 1)] };
    // The unmodified pre-activation at the last position.
    const { logits, captured } = model.forward(batch, {
      logits: 'last',
      hooks: [{ point: model.layout.mlpPre(layer), capture: true }],
    });
    const preTensor = tf.tidy(() =>
      (captured[`mlpPre.${layer}`] as Tensor3D).slice([0, last, 0], [1, 1, -1]),
    );
    const pre = Array.from(preTensor.dataSync());
    tf.dispose([logits!, preTensor, ...Object.values(captured)]);
    // dP(answer) / d(pre at the last position), evaluated with that vector set to `values`.
    const gradientAt = (values: number[], answer: number): number[] => {
      const g = tf.tidy(() => {
        const p = (v: Tensor) => {
          const out = model.forward(batch, {
            logits: 'last',
            hooks: [
              {
                point: model.layout.mlpPre(layer),
                replace: (x) =>
                  tf.concat(
                    [x.slice([0, 0, 0], [1, last, width]), tf.reshape(v, [1, 1, width])],
                    1,
                  ) as Tensor3D,
              },
            ],
          });
          return tf
            .softmax(out.logits as Tensor2D)
            .slice([0, answer], [1, 1])
            .sum();
        };
        return tf.grad(p)(tf.tensor1d(values));
      });
      const out = Array.from(g.dataSync());
      g.dispose();
      return out;
    };
    const expected = pre.map(() => 0);
    for (const answer of targetIds) {
      const atZero = gradientAt(
        pre.map(() => 0),
        answer,
      );
      const atOne = gradientAt(pre, answer);
      pre.forEach((a, i) => {
        expected[i]! += (a * (atZero[i]! + atOne[i]!)) / 2 / targetIds.length;
      });
    }

    const scores = integratedGradients(model, MICRO_REQUEST.prompt, 'English', {
      steps: 2,
      batchSize: 2,
      layers: [layer],
      site: 'preActivation',
      alphas: 'linspace',
      answerContext: 'promptEnd',
      spacing: 'unspaced',
    }).scores[0]!;
    const scale = Math.max(...expected.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < width; i++) expect(Math.abs(scores[i]! - expected[i]!)).toBeLessThan(1e-4 * scale);
    // The post-GELU site gives other scores: the site matters.
    const post = integratedGradients(model, MICRO_REQUEST.prompt, 'English', {
      steps: 2,
      batchSize: 2,
      layers: [layer],
      alphas: 'linspace',
      spacing: 'unspaced',
    }).scores[0]!;
    expect(Math.max(...post.map((v, i) => Math.abs(v - expected[i]!)))).toBeGreaterThan(1e-2 * scale);
  });
});
