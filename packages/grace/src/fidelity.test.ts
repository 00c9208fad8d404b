// Fidelity of GRACE to Hartvigsen et al. 2023 section 3 / EasyEdit GRACE.py (reference/easyedit.md 4.14): keys, radii and deferral recomputed by hand.
import { type EditRequest, edit, initBackend, type Tensor2D, type Tensor3D, tf } from '@llmedit/core';
import { type CausalLM, encodeTargetPair } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraceHparams } from './hparams.js';
import { grace, graceCodebook, graceLayer } from './method.js';
import { gracePreset } from './presets.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('micro');
});
afterAll(() => model.dispose());

const first: EditRequest = { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray', targetNew: 'French' };
const second: EditRequest = { prompt: 'Satyajit Ray writes', subject: 'Satyajit Ray', targetNew: 'German' };

/** The FFN input (the query space) at every position of `ids`, by a plain forward of the base model. */
function queries(tokens: readonly number[], layer: number): Float64Array[] {
  const ids = [...tokens];
  const point = model.layout.mlpIn(layer);
  const { captured } = model.forward(
    { ids: [ids], attentionMask: [ids.map(() => 1)] },
    {
      logits: 'none',
      hooks: [{ point, capture: true }],
    },
  );
  const t = captured[point.key] as Tensor3D;
  const width = t.shape[2];
  const data = t.dataSync();
  const rows = ids.map((_, p) => Float64Array.from(data.subarray(p * width, (p + 1) * width)));
  tf.dispose(Object.values(captured));
  return rows;
}

const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s);
};

describe('GRACE codebook on the micro model', () => {
  const hparams: GraceHparams = { ...gracePreset('micro'), nIter: 5 };

  it('stores the FFN input at the last prompt token with eps_init; the view swaps in the value exactly where |q - k| <= eps', async () => {
    const layer = graceLayer(model, hparams);
    const result = await edit({ method: grace, model, requests: first, hparams });
    const view = result.outcomes[0]!.model as CausalLM;
    const [entry] = graceCodebook(model, layer).entries;
    const { promptIds, targetIds } = encodeTargetPair(model, first.prompt, first.targetNew);
    const key = queries(promptIds, layer)[promptIds.length - 1]!;
    expect(entry!.epsilon).toBe(hparams.epsInit);
    expect(entry!.label).toBe('French');
    expect(distance(entry!.key, key)).toBeLessThan(1e-5);

    // Expected logits: the base model with the FFN activation replaced by hand at the positions whose
    // query lies within the radius of the key (the distance computed here, in float64).
    const ids = [...promptIds, ...targetIds, ...model.requireTokenizer().encode(' and the')];
    const hits = queries(ids, layer).map((q) => distance(q, entry!.key) <= entry!.epsilon);
    expect(hits[promptIds.length - 1]).toBe(true);
    expect(hits.some((h) => !h)).toBe(true);
    const width = entry!.value.length;
    const expected = tf.tidy(() => {
      const mask = tf.tensor3d(
        Float32Array.from(hits, (h) => (h ? 1 : 0)),
        [1, ids.length, 1],
      );
      const value = tf.reshape(tf.tensor1d(entry!.value), [1, 1, width]);
      return model.forward(
        { ids: [ids], attentionMask: [ids.map(() => 1)] },
        {
          logits: 'all',
          hooks: [
            {
              point: model.layout.mlpKey(layer),
              replace: (a) => tf.add(tf.mul(a, tf.sub(1, mask)), tf.mul(value, mask)) as Tensor3D,
            },
          ],
        },
      ).logits as Tensor2D;
    });
    const actual = view.forward({ ids: [ids], attentionMask: [ids.map(() => 1)] }, { logits: 'all' })
      .logits as Tensor2D;
    const baseLogits = model.forward({ ids: [ids], attentionMask: [ids.map(() => 1)] }, { logits: 'all' })
      .logits as Tensor2D;
    const maxDiff = (a: Tensor2D, b: Tensor2D) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    expect(maxDiff(actual, expected)).toBeLessThan(1e-4);
    // The check can fail: the unedited model reads differently where the value is swapped in.
    expect(maxDiff(actual, baseLogits)).toBeGreaterThan(1e-2);
    tf.dispose([expected, actual, baseLogits]);
    result.revert();
    result.dispose();
  });

  it('a second query with another label within eps_init + eps of the first key splits both radii to d / 2', async () => {
    const layer = graceLayer(model, hparams);
    const last = (r: EditRequest) => {
      const { promptIds } = encodeTargetPair(model, r.prompt, r.targetNew);
      return queries(promptIds, layer)[promptIds.length - 1]!;
    };
    const d = distance(last(first), last(second));
    // A radius wide enough that the second query falls within eps_init + eps of the first key.
    const wide = { ...hparams, epsInit: d };
    const one = await edit({ method: grace, model, requests: first, hparams: wide });
    const two = await edit({
      method: grace,
      model: one.outcomes[0]!.model as CausalLM,
      requests: second,
      hparams: wide,
    });
    const entries = graceCodebook(model, layer).entries;
    expect(entries.map((e) => e.label)).toEqual(['French', 'German']);
    for (const e of entries) expect(e.epsilon).toBeCloseTo(d / 2, 4);
    expect(distance(entries[1]!.key, last(second))).toBeLessThan(1e-5);
    // Same label instead: coverage expands the first radius to d and adds no key.
    two.revert();
    two.dispose();
    const narrow = { ...hparams, epsInit: 0.6 * d };
    const same = { ...second, targetNew: 'French' };
    one.revert();
    one.dispose();
    const a = await edit({ method: grace, model, requests: first, hparams: narrow });
    const b = await edit({
      method: grace,
      model: a.outcomes[0]!.model as CausalLM,
      requests: same,
      hparams: narrow,
    });
    const expanded = graceCodebook(model, layer).entries;
    expect(expanded).toHaveLength(1);
    expect(expanded[0]!.epsilon).toBeCloseTo(d, 4);
    b.revert();
    b.dispose();
    a.revert();
    a.dispose();
  });
});
