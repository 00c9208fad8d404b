import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EditRequest, edit, initBackend, tf } from '@llmedit/core';
import { averageOverTemplates, contextTemplates, layerStats, prepareRequests } from '@llmedit/locate';
import { type CausalLM, createModel, type LlamaConfig, randomWeights } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RomeHparams } from './hparams.js';
import { rome, rRome } from './method.js';
import { romePreset } from './presets.js';
import type { RomeInfo } from './rome.js';

const request: EditRequest = { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray', targetNew: 'French' };
let dir: string;
let micro: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
  micro = loadPretrained('micro');
  dir = await mkdtemp(join(tmpdir(), 'llmedit-rome-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** MLP outputs at the fact token, per context template group, averaged as ROME averages keys ('flat'). */
function outputsAt(
  model: CausalLM,
  hparams: RomeHparams,
  layer: number,
  averaging: 'bare' | 'flat',
): Float64Array {
  const templates = contextTemplates(model, hparams.contextTemplateLengthParams, 0);
  const prepared = prepareRequests(
    model,
    [request],
    averaging === 'bare' ? [['{}']] : templates,
    hparams.factToken,
  );
  const point = model.layout.mlpOut(layer);
  return averageOverTemplates(model, prepared, [point], 'flat').get(point.key) as Float64Array;
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

describe('ROME update', () => {
  it('is rank one, maps the bare-prompt key to v* exactly, and leaves nothing behind', async () => {
    const hparams = { ...romePreset('micro'), mom2Adjustment: false };
    const before = outputsAt(micro, hparams, 0, 'bare');
    const tensors = tf.memory().numTensors;
    const result = await edit({ method: rome, model: micro, requests: request, hparams });
    const info = result.outcomes[0]?.info as unknown as RomeInfo;
    const after = outputsAt(micro, hparams, 0, 'bare');
    const change = after.map((value, j) => value - (before[j] as number));
    // W' k = W k + (k . u) right = m + (v* - m).
    expect(norm(change)).toBeCloseTo(info.layers[0]?.valueChange as number, 3);
    const delta = result.outcomes[0]?.deltas
      .get('transformer.h.0.mlp.c_proj.weight')
      ?.arraySync() as number[][];
    const d00 = delta[0]?.[0] as number;
    for (const [i, j] of [
      [5, 7],
      [100, 31],
      [64, 2],
    ] as const) {
      expect((delta[i]?.[j] as number) * d00).toBeCloseTo(
        (delta[i]?.[0] as number) * (delta[0]?.[j] as number),
        6,
      );
    }
    expect(result.touchedWeights).toEqual(['transformer.h.0.mlp.c_proj.weight']);
    result.revert();
    result.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('R-ROME (averaged keys) maps the template-averaged key to v*', async () => {
    const hparams = { ...romePreset('micro', 'r-rome'), mom2Adjustment: false };
    const before = outputsAt(micro, hparams, 0, 'flat');
    const result = await edit({ method: rRome, model: micro, requests: request, hparams });
    const info = result.outcomes[0]?.info as unknown as RomeInfo;
    expect(info.keyMode).toBe('averaged');
    const after = outputsAt(micro, hparams, 0, 'flat');
    const change = after.map((value, j) => value - (before[j] as number));
    expect(norm(change)).toBeCloseTo(info.layers[0]?.valueChange as number, 3);
    result.revert();
    result.dispose();
  });

  it('whitens the key with the covariance: C u is parallel to the averaged key', async () => {
    const hparams = { ...romePreset('micro'), mom2Adjustment: true, mom2NSamples: 300, statsDir: dir };
    const statsProgress: number[] = [];
    const result = await edit({
      method: rome,
      model: micro,
      requests: request,
      hparams,
      context: { onProgress: (p) => p.stage === 'layer statistics' && statsProgress.push(p.fraction) },
    });
    // The statistics pass (the first in this file) reports its progress through the edit's onProgress.
    expect(statsProgress.length).toBeGreaterThan(0);
    expect(statsProgress.at(-1)).toBe(1);
    const delta = result.outcomes[0]?.deltas
      .get('transformer.h.0.mlp.c_proj.weight')
      ?.arraySync() as number[][];
    result.revert();
    result.dispose();
    // Column 0 of delta W [in, out] is u * right_0.
    const u = delta.map((row) => row[0] as number);
    const stats = (await layerStats(micro, [0], { samples: 300, cacheDir: dir })).get(0);
    if (stats === undefined) throw new Error('no stats');
    const n = stats.dim;
    const cu = Array.from({ length: n }, (_, i) =>
      u.reduce((s, x, j) => s + (stats.mom2[i * n + j] as number) * x, 0),
    );
    const templates = contextTemplates(micro, hparams.contextTemplateLengthParams, 0);
    const prepared = prepareRequests(micro, [request], templates, hparams.factToken);
    const point = micro.layout.mlpKey(0);
    const key = averageOverTemplates(micro, prepared, [point], 'flat').get(point.key) as Float64Array;
    const cosine = cu.reduce((s, x, i) => s + x * (key[i] as number), 0) / (norm(cu) * norm(key));
    expect(Math.abs(cosine)).toBeGreaterThan(0.999);
  });

  it('writes LLaMA down_proj ([out, in]) in its orientation', async () => {
    const config: LlamaConfig = {
      architecture: 'llama',
      vocabSize: micro.config.vocabSize,
      maxPositions: 64,
      hiddenSize: 16,
      numLayers: 2,
      numHeads: 2,
      numKeyValueHeads: 2,
      headDim: 8,
      intermediateSize: 24,
      rmsNormEpsilon: 1e-6,
      ropeTheta: 10000,
      tieWordEmbeddings: false,
    };
    const llama = createModel(config, randomWeights(config, 5), micro.tokenizer);
    const hparams = { ...romePreset('micro'), mom2Adjustment: false, vNumGradSteps: 5 };
    const before = outputsAt(llama, hparams, 0, 'bare');
    const result = await edit({ method: rome, model: llama, requests: request, hparams });
    const info = result.outcomes[0]?.info as unknown as RomeInfo;
    const delta = result.outcomes[0]?.deltas.get('model.layers.0.mlp.down_proj.weight');
    expect(delta?.shape).toEqual([16, 24]);
    const after = outputsAt(llama, hparams, 0, 'bare');
    const change = after.map((value, j) => value - (before[j] as number));
    expect(norm(change)).toBeCloseTo(info.layers[0]?.valueChange as number, 3);
    result.revert();
    result.dispose();
    llama.dispose();
  });

  it('names the problem when a request has no subject or a layer does not exist', async () => {
    const causeOf = async (run: Promise<unknown>) => {
      const error = await run.then(
        () => undefined,
        (e: unknown) => e as Error & { cause?: Error },
      );
      return `${error?.message} / ${error?.cause?.message}`;
    };
    expect(
      await causeOf(
        edit({
          method: rome,
          model: micro,
          hparams: romePreset('micro'),
          requests: { prompt: 'Satyajit Ray speaks', targetNew: 'French' },
        }),
      ),
    ).toMatch(/subject.*required/);
    expect(
      await causeOf(edit({ method: rome, model: micro, requests: request, hparams: { layers: [7] } })),
    ).toMatch(/layer 7 does not exist/);
  });
});
