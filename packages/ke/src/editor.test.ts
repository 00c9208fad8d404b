// KnowledgeEditor (De Cao et al. 2021) eq. 4-5, checked against a plain Float64 re-implementation of the
// hypernetwork: bi-LSTM over the condition, tanh projection, weight-normalised conditioned parameters.
import { initBackend, type Tensor, tf } from '@llmedit/core';
import { loadMicroModel } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeEditor } from './editor.js';

type Matrix = { rows: number; cols: number; data: Float32Array };
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** x·W + b for a row vector x, W [in, out] row-major. */
function affine(x: number[], w: Matrix, b: Float32Array, weightNorm?: Float32Array): number[] {
  const out = Array.from(b, Number);
  for (let o = 0; o < w.cols; o++) {
    let norm = 0;
    for (let i = 0; i < w.rows; i++) norm += w.data[i * w.cols + o]! ** 2;
    const scale = weightNorm === undefined ? 1 : weightNorm[o]! / Math.sqrt(norm);
    let sum = 0;
    for (let i = 0; i < w.rows; i++) sum += x[i]! * w.data[i * w.cols + o]! * scale;
    out[o]! += sum;
  }
  return out;
}

function softmax(xs: number[]): number[] {
  const max = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

describe('KeEditor', () => {
  let model: ReturnType<typeof loadMicroModel>;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = loadMicroModel();
  });
  afterAll(() => model.dispose());

  it('computes Δ = maxScale·σ(η)·(softmax(α)γᵀ ⊙ ∇W + softmax(β)δᵀ) from h = tanh(W·[LSTM→; LSTM←])', () => {
    const shape = { layers: [1], hiddenSize: 3, conditionSize: 4, maxScale: 0.5 };
    const editor = KeEditor.create(model, shape, 7);
    const host = editor.toHost();
    const m = (name: string): Matrix => {
      const t = host.get(name)!;
      return { rows: t.shape[0]!, cols: t.shape[1]!, data: t.data };
    };
    const vec = (name: string) => host.get(name)!.data;
    const ids = [5, 17, 2];
    const hidden = shape.hiddenSize;
    const lstm = (direction: string, order: number[]) => {
      let h = new Array<number>(hidden).fill(0);
      let c = new Array<number>(hidden).fill(0);
      const embedding = m('encoder.embedding');
      for (const id of order) {
        const x = Array.from(embedding.data.subarray(id * embedding.cols, (id + 1) * embedding.cols));
        const gates = affine(
          [...x, ...h],
          m(`encoder.${direction}.kernel`),
          vec(`encoder.${direction}.bias`),
        );
        const gate = (k: number, j: number) => gates[k * hidden + j]!;
        c = c.map((cj, j) => sigmoid(gate(1, j)) * cj + sigmoid(gate(0, j)) * Math.tanh(gate(2, j)));
        h = c.map((cj, j) => sigmoid(gate(3, j)) * Math.tanh(cj));
      }
      return h;
    };
    const condition = affine(
      [...lstm('forward', ids), ...lstm('backward', [...ids].reverse())],
      m('encoder.out.v'),
      vec('encoder.out.bias'),
    ).map(Math.tanh);
    const weight = editor.weights[0]!;
    const name = weight.location.name;
    const inner = affine(
      condition,
      m(`${name}.hidden.v`),
      vec(`${name}.hidden.bias`),
      vec(`${name}.hidden.g`),
    ).map(Math.tanh);
    const params = affine(inner, m(`${name}.out.v`), vec(`${name}.out.bias`), vec(`${name}.out.g`));
    const { rows, columns } = weight;
    const gammaA = params.slice(0, columns);
    const alpha = softmax(params.slice(columns, columns + rows));
    const gammaB = params.slice(columns + rows, 2 * columns + rows);
    const beta = softmax(params.slice(2 * columns + rows, 2 * (columns + rows)));
    const eta = params[2 * (columns + rows)]!;
    const gradient = Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i));
    const expected = Array.from(
      gradient,
      (g, i) =>
        shape.maxScale *
        sigmoid(eta) *
        (g * alpha[Math.floor(i / columns)]! * gammaA[i % columns]! +
          beta[Math.floor(i / columns)]! * gammaB[i % columns]!),
    );
    const g = tf.tensor2d(gradient, [rows, columns]);
    const deltas = editor.deltas([ids], new Map<string, Tensor>([[name, g]]));
    const actual = deltas.get(name)!.dataSync();
    let largest = 0;
    expected.forEach((e, i) => {
      largest = Math.max(largest, Math.abs(e - actual[i]!) / (Math.abs(e) + 1e-6));
    });
    expect(largest).toBeLessThan(1e-3);
    expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(0);
    tf.dispose([g, ...deltas.values()]);
    editor.dispose();
  });

  it('starts from the model embedding, round-trips through its host tensors and refuses misshapen ones', () => {
    const shape = { layers: [0, 1], hiddenSize: 4, conditionSize: 5, maxScale: 1 };
    const editor = KeEditor.create(model, shape, 1);
    const host = editor.toHost();
    const embedding = model.weight(model.layout.lmHead().name).dataSync();
    expect(host.get('encoder.embedding')!.data).toEqual(Float32Array.from(embedding));
    const copy = KeEditor.fromHost(model, shape, host);
    if (typeof copy === 'string') throw new Error(copy);
    expect(copy.toHost()).toEqual(host);
    const broken = new Map(host);
    broken.delete('encoder.forward.kernel');
    expect(KeEditor.fromHost(model, shape, broken)).toMatch(/encoder\.forward\.kernel/);
    copy.dispose();
    editor.dispose();
  });
});
