// Fidelity of ROME / R-ROME to Meng et al. 2022 eq. 2 and EasyEdit rome_main.py, compute_v.py, r_rome (reference/easyedit.md 4.2-4.3).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EditRequest, edit, initBackend, type Tensor3D, tf } from '@llmedit/core';
import {
  averageOverTemplates,
  contextTemplates,
  layerStats,
  optimizeValues,
  type PreparedRequest,
  prepareRequests,
} from '@llmedit/locate';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RomeHparams } from './hparams.js';
import { rome, rRome } from './method.js';
import { romePreset } from './presets.js';

const request: EditRequest = { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray', targetNew: 'French' };
const layer = 0;
let model: CausalLM;
let dir: string;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
  model = loadPretrained('micro');
  dir = await mkdtemp(join(tmpdir(), 'llmedit-rome-fidelity-'));
});
afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/** Key (c_proj input) and value (MLP output) at the subject's last token of the bare prompt, by a plain forward. */
function bareKeyValue(): { k: Float64Array; m: Float64Array } {
  const tokenizer = model.requireTokenizer();
  const ids = tokenizer.encode(request.prompt);
  const subjectIds = tokenizer.encode(request.subject as string);
  expect(ids.slice(0, subjectIds.length)).toEqual(subjectIds);
  const position = subjectIds.length - 1;
  const keyPoint = model.layout.mlpKey(layer);
  const outPoint = model.layout.mlpOut(layer);
  const { captured } = model.forward(
    { ids: [ids], attentionMask: [ids.map(() => 1)] },
    {
      logits: 'none',
      hooks: [
        { point: keyPoint, capture: true },
        { point: outPoint, capture: true },
      ],
    },
  );
  const at = (t: Tensor3D) => {
    const row = tf.tidy(() => t.slice([0, position, 0], [1, 1, -1]));
    const values = Float64Array.from(row.dataSync());
    row.dispose();
    return values;
  };
  const k = at(captured[keyPoint.key] as Tensor3D);
  const m = at(captured[outPoint.key] as Tensor3D);
  tf.dispose(Object.values(captured));
  return { k, m };
}

/** v* as the package's value optimiser gives it for this request (not the formula under test). */
function targetValue(hparams: RomeHparams, prepared: PreparedRequest): Float64Array {
  const [v] = optimizeValues(model, [prepared.value], {
    layer,
    at: 'mlpOut',
    steps: hparams.vNumGradSteps,
    lr: hparams.vLr,
    weightDecay: hparams.vWeightDecay,
    clampNormFactor: hparams.clampNormFactor,
    klFactor: hparams.klFactor,
  });
  return Float64Array.from(v?.target as Float32Array);
}

/** Solve A x = b (A n x n row-major) by Gaussian elimination with partial pivoting, in float64. */
function solve(a: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[p * n + c]!)) p = r;
    if (p !== c) {
      for (let j = 0; j < n; j++) [m[c * n + j], m[p * n + j]] = [m[p * n + j]!, m[c * n + j]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / m[c * n + c]!;
      if (f === 0) continue;
      for (let j = c; j < n; j++) m[r * n + j]! -= f * m[c * n + j]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let j = r + 1; j < n; j++) s -= m[r * n + j]! * x[j]!;
    x[r] = s / m[r * n + r]!;
  }
  return x;
}

/** delta W [in, out] (GPT-2 Conv1D orientation) of one edit, then reverted. */
async function packageDelta(method: typeof rome | typeof rRome, hparams: RomeHparams): Promise<number[][]> {
  const result = await edit({ method, model, requests: request, hparams, context: { seed: 0 } });
  const delta = result.outcomes[0]?.deltas.get(model.layout.mlpOutProjection(layer).name)?.arraySync();
  result.revert();
  result.dispose();
  return delta as number[][];
}

/** max |actual - (left right^T)| / max |left right^T|. */
function relativeError(actual: number[][], left: Float64Array, right: Float64Array): number {
  let err = 0;
  let scale = 0;
  left.forEach((l, i) => {
    right.forEach((r, j) => {
      scale = Math.max(scale, Math.abs(l * r));
      err = Math.max(err, Math.abs((actual[i]?.[j] as number) - l * r));
    });
  });
  return err / scale;
}

describe('ROME rank-one update (C = I): delta W = u (v* - m)^T / (k . u), u = k_u / ||k_u||', () => {
  // EasyEdit's fact_token: subject_last (the micro preset reads the last token instead).
  const base = {
    ...romePreset('micro'),
    layers: [layer],
    factToken: 'subject_last' as const,
    mom2Adjustment: false,
  };

  function inputs() {
    const templates = contextTemplates(model, base.contextTemplateLengthParams, 0);
    const [prepared] = prepareRequests(model, [request], templates, base.factToken);
    const keyPoint = model.layout.mlpKey(layer);
    const outPoint = model.layout.mlpOut(layer);
    const averaged = averageOverTemplates(model, [prepared!], [keyPoint, outPoint], 'flat');
    return {
      prepared: prepared!,
      kAvg: averaged.get(keyPoint.key) as Float64Array,
      mAvg: averaged.get(outPoint.key) as Float64Array,
      ...bareKeyValue(),
    };
  }

  function expected(kU: Float64Array, kDen: Float64Array, vStar: Float64Array, m: Float64Array) {
    const normU = Math.sqrt(dot(kU, kU));
    const u = kU.map((x) => x / normU);
    const den = dot(kDen, u);
    return { u, right: vStar.map((v, j) => (v - m[j]!) / den) };
  }

  it('ROME (original): u from the template-averaged key, k and m of the bare prompt, so W k_bare = v*', async () => {
    const { prepared, kAvg, mAvg, k, m } = inputs();
    const vStar = targetValue(base, prepared);
    const delta = await packageDelta(rome, base);
    const { u, right } = expected(kAvg, k, vStar, m);
    expect(relativeError(delta, u, right)).toBeLessThan(1e-4);
    // W' k_bare - W k_bare = v* - m: the new weight maps the bare key to v*.
    const moved = right.map((_, j) => delta.reduce((s, row, i) => s + (row[j] as number) * k[i]!, 0));
    moved.forEach((x, j) => {
      expect(x).toBeCloseTo(vStar[j]! - m[j]!, 3);
    });
    // The check can fail: with the averaged key in the denominator (R-ROME) the update is another one.
    const wrong = expected(kAvg, kAvg, vStar, mAvg);
    expect(relativeError(delta, wrong.u, wrong.right)).toBeGreaterThan(1e-2);
  });

  it('R-ROME (default, random-prefix keys): the averaged key and value everywhere', async () => {
    const hparams = {
      ...romePreset('micro', 'r-rome'),
      layers: [layer],
      factToken: 'subject_last' as const,
      mom2Adjustment: false,
    };
    const { prepared, kAvg, mAvg, k, m } = inputs();
    const vStar = targetValue(hparams, prepared);
    const delta = await packageDelta(rRome, hparams);
    const { u, right } = expected(kAvg, kAvg, vStar, mAvg);
    expect(relativeError(delta, u, right)).toBeLessThan(1e-4);
    const wrong = expected(kAvg, k, vStar, m);
    expect(relativeError(delta, wrong.u, wrong.right)).toBeGreaterThan(1e-2);
  });

  it('R-ROME with prompt keys: the bare prompt key everywhere', async () => {
    const hparams = {
      ...romePreset('micro', 'r-rome'),
      layers: [layer],
      factToken: 'subject_last' as const,
      mom2Adjustment: false,
      enableRandomPrefixKeys: false,
      enablePromptKeys: true,
    };
    const { prepared, k, m } = inputs();
    const vStar = targetValue(hparams, prepared);
    const delta = await packageDelta(rRome, hparams);
    const { u, right } = expected(k, k, vStar, m);
    expect(relativeError(delta, u, right)).toBeLessThan(1e-4);
  });
});

describe('ROME with the covariance: delta W = (C^-1 k*) (v* - W k*)^T / ((C^-1 k*)^T k*)', () => {
  it('R-ROME with prompt keys writes eq. 2 exactly for C solved here by Gaussian elimination', async () => {
    const hparams = {
      ...romePreset('micro', 'r-rome'),
      layers: [layer],
      factToken: 'subject_last' as const,
      mom2Adjustment: true,
      mom2NSamples: 300,
      statsDir: dir,
      enableRandomPrefixKeys: false,
      enablePromptKeys: true,
    };
    const templates = contextTemplates(model, hparams.contextTemplateLengthParams, 0);
    const [prepared] = prepareRequests(model, [request], templates, hparams.factToken);
    const vStar = targetValue(hparams, prepared!);
    const delta = await packageDelta(rRome, hparams);
    const stats = (
      await layerStats(model, [layer], { samples: 300, dataset: hparams.mom2Dataset, cacheDir: dir })
    ).get(layer);
    if (stats === undefined) throw new Error('no statistics');
    const { k, m } = bareKeyValue();
    const cInvK = solve(stats.mom2, k);
    const den = dot(cInvK, k);
    // The paper's form: Lambda = (v* - W k*) / ((C^-1 k*)^T k*), delta W = Lambda (C^-1 k*)^T.
    const lambda = vStar.map((v, j) => (v - m[j]!) / den);
    expect(relativeError(delta, cInvK, lambda)).toBeLessThan(1e-3);
    // Without the whitening the direction is another one.
    const plain = vStar.map((v, j) => (v - m[j]!) / dot(k, k));
    expect(relativeError(delta, k, plain)).toBeGreaterThan(1e-2);
  });
});
