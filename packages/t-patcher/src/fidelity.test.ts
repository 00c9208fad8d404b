// Fidelity of T-Patcher to Huang et al. 2023 section 3, eq. 5-8 (reference/easyedit.md 4.18): patch neurons and losses recomputed by hand.
import { type EditRequest, edit, initBackend, type Tensor3D, tf } from '@llmedit/core';
import { type CausalLM, encodeTargetPair } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TPatcherHparams } from './hparams.js';
import { memoryQueries } from './memory.js';
import { type TPatcherInfo, tPatcher } from './method.js';
import { tPatcherPreset } from './presets.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('micro');
});
afterAll(() => model.dispose());

const request: EditRequest = { prompt: 'The Eiffel Tower is located in', targetNew: 'Rome' };

/** GPT-2's tanh GELU (gelu_new), by hand. */
const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/** Rows of a [1, tokens, width] capture. */
function rowsOf(t: Tensor3D): Float64Array[] {
  const [, tokens, width] = t.shape;
  const data = t.dataSync();
  return Array.from({ length: tokens }, (_, p) =>
    Float64Array.from(data.subarray(p * width, (p + 1) * width)),
  );
}

/** FFN input and output of `layer` at every position of `ids`. */
function ffn(ids: number[], layer: number): { q: Float64Array[]; out: Float64Array[] } {
  const inPoint = model.layout.mlpIn(layer);
  const outPoint = model.layout.mlpOut(layer);
  const { captured } = model.forward(
    { ids: [ids], attentionMask: [ids.map(() => 1)] },
    {
      logits: 'none',
      hooks: [
        { point: inPoint, capture: true },
        { point: outPoint, capture: true },
      ],
    },
  );
  const result = {
    q: rowsOf(captured[inPoint.key] as Tensor3D),
    out: rowsOf(captured[outPoint.key] as Tensor3D),
  };
  tf.dispose(Object.values(captured));
  return result;
}

/** The trained patch: keys [n, d], bias [n], values [n, d] as host rows. */
function patchOf(layer: number) {
  const blocks = model.addedNeurons(layer);
  expect(blocks).toHaveLength(1);
  const block = blocks[0]!;
  const rows = (t: tf.Tensor) => {
    const [n, d] = t.shape as [number, number];
    const data = t.dataSync();
    return Array.from({ length: n }, (_, i) => Float64Array.from(data.subarray(i * d, (i + 1) * d)));
  };
  return { keys: rows(block.keys), bias: Array.from(block.bias.dataSync()), values: rows(block.values) };
}

/** mean of exp(x) over the entries x > 0, 0 when none (the package's margin form of eq. 6-8). */
function expMargin(xs: number[]): number {
  const active = xs.filter((x) => x > 0);
  return active.length === 0 ? 0 : active.reduce((s, x) => s + Math.exp(Math.min(x, 30)), 0) / active.length;
}

describe('T-Patcher on the micro model', () => {
  const last = () => model.config.numLayers - 1;

  it('adds one neuron per edit to the last FFN: FFN output += gelu(q k_p + b_p) v_p at every position', async () => {
    const hparams: TPatcherHparams = {
      ...tPatcherPreset('micro'),
      neuronsPer: 'edit',
      memorySize: 20,
      maxSteps: 10,
    };
    const { promptIds, targetIds } = encodeTargetPair(model, request.prompt, request.targetNew);
    const other = model.requireTokenizer().encode('Satyajit Ray speaks the language of');
    const probes = [[...promptIds, ...targetIds], other];
    const before = probes.map((ids) => ffn(ids, last()));
    const result = await edit({ method: tPatcher, model, requests: request, hparams });
    expect((result.outcomes[0]!.info as unknown as TPatcherInfo).neuronsAdded).toBe(1);
    expect(model.mlpWidth(last())).toBe(model.config.intermediateSize + 1);
    for (let l = 0; l < last(); l++) expect(model.mlpWidth(l)).toBe(model.config.intermediateSize);
    const patch = patchOf(last());
    let largest = 0;
    probes.forEach((ids, i) => {
      const after = ffn(ids, last());
      after.out.forEach((row, p) => {
        const q = before[i]!.q[p]!;
        // The queries (FFN input) do not move: the patch sits inside the FFN.
        expect(Math.max(...q.map((x, j) => Math.abs(x - after.q[p]![j]!)))).toBeLessThan(1e-5);
        const a = gelu(dot(q, patch.keys[0]!) + patch.bias[0]!);
        row.forEach((x, j) => {
          const expected = before[i]!.out[p]![j]! + a * patch.values[0]![j]!;
          expect(Math.abs(x - expected)).toBeLessThan(1e-4 * (1 + Math.abs(expected)));
          largest = Math.max(largest, Math.abs(a * patch.values[0]![j]!));
        });
      });
    });
    // The check can fail: the patch does change the FFN output.
    expect(largest).toBeGreaterThan(1e-2);
    result.revert();
    result.dispose();
    expect(model.mlpWidth(last())).toBe(model.config.intermediateSize);
  });

  it('reports L_edit, l_a and l_m = l_m1 + l_m2 of the trained patch as recomputed here (one neuron per target token)', async () => {
    const hparams: TPatcherHparams = {
      ...tPatcherPreset('micro'),
      neuronsPer: 'token',
      memorySize: 20,
      maxSteps: 5,
      // Margins five steps cannot meet, so that every loss term is non-zero (and below exp's clip at 30).
      activationMargin: 2,
      memoryThreshold: -3,
      memoryMargin: 3,
    };
    const { promptIds, targetIds } = encodeTargetPair(model, request.prompt, request.targetNew);
    expect(targetIds.length).toBeGreaterThan(1);
    const result = await edit({ method: tPatcher, model, requests: request, hparams });
    const info = result.outcomes[0]!.info as unknown as TPatcherInfo;
    expect(info.neuronsAdded).toBe(targetIds.length);
    const patch = patchOf(last());
    // Edit queries: the FFN input at the positions that predict each target token.
    const ids = [...promptIds, ...targetIds].slice(0, -1);
    const positions = targetIds.map((_, k) => promptIds.length - 1 + k);
    const { q } = ffn(ids, last());
    const z = (query: ArrayLike<number>, n: number) => dot(query, patch.keys[n]!) + patch.bias[n]!;
    // Neuron n answers for target position n only.
    const own = patch.keys.map((_, n) => z(q[positions[n]!]!, n));
    const activation = expMargin(own.map((x) => hparams.activationMargin - x));
    const d = model.config.hiddenSize;
    const memory = memoryQueries(model, last(), hparams.memorySize, 0);
    const zMemory: number[][] = [];
    for (let r = 0; r < memory.length / d; r++) {
      zMemory.push(patch.keys.map((_, n) => z(memory.subarray(r * d, (r + 1) * d), n)));
    }
    const memoryLoss =
      expMargin(zMemory.flat().map((x) => x - hparams.memoryThreshold)) +
      expMargin(zMemory.flatMap((row) => row.map((x, n) => x - own[n]! + hparams.memoryMargin)));
    // Edit NLL: -mean_k log P(t_k | prompt, t_<k) through the patched model.
    const { logits } = model.forward({ ids: [ids], attentionMask: [ids.map(() => 1)] }, { logits: 'all' });
    const logProbs = tf.tidy(() =>
      tf.logSoftmax(tf.reshape(logits!, [ids.length, -1])).arraySync(),
    ) as number[][];
    logits!.dispose();
    const editLoss = -targetIds.reduce((s, t, k) => s + logProbs[positions[k]!]![t]!, 0) / targetIds.length;

    expect(activation).toBeGreaterThan(0);
    expect(memoryLoss).toBeGreaterThan(0);
    expect(info.finalLoss.activation).toBeCloseTo(activation, 3);
    expect(info.finalLoss.activation / activation).toBeCloseTo(1, 4);
    expect(info.finalLoss.memory / memoryLoss).toBeCloseTo(1, 4);
    expect(info.finalLoss.edit).toBeCloseTo(editLoss, 4);
    result.revert();
    result.dispose();
  });
});
