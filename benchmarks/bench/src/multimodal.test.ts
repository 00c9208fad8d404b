import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@llmedit/core';
import { renderSceneImage } from '@llmedit/datasets';
import { ftLlm, ike, mmeditPresets } from '@llmedit/mmedit';
import { createRandomVlm, tinyVlmConfig, type VisionLanguageModel } from '@llmedit/multimodal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBenchModel } from './bench-model.js';
import { parseFlags } from './flags.js';
import { mergeShards } from './merge.js';
import { type MultimodalBenchMethod, multimodalRecords, multimodalRequest } from './multimodal.js';
import { renderHtml } from './report-html.js';
import { type BenchResults, environment } from './results.js';
import { runBench } from './run.js';
import { buildTables, renderMarkdown } from './tables.js';

// Table D's pipeline on a random vision tower in front of the micro language model: the numbers mean nothing,
// the plumbing (records, metrics, revert, shards, tables, report) is what is checked.
const METHODS: MultimodalBenchMethod[] = [
  { method: ftLlm, hparams: () => mmeditPresets.micro['ft-llm'] as Record<string, unknown> },
  { method: ike, published: 'IKE', hparams: () => mmeditPresets.micro.ike as Record<string, unknown> },
];

describe('Table D flags', () => {
  it('is on for the default model in single mode, off with --methods or another model, and --multimodal-n sets it', () => {
    expect(parseFlags([]).multimodalN).toBe(30);
    expect(parseFlags(['--smoke']).multimodalN).toBe(2);
    expect(parseFlags(['--methods', 'rome']).multimodalN).toBe(0);
    expect(parseFlags(['--model', 'micro']).multimodalN).toBe(0);
    expect(parseFlags(['--mode', 'batch']).multimodalN).toBe(0);
    const alone = parseFlags(['--datasets', 'none', '--multimodal-n', '5', '--multimodal-methods', 'ike']);
    expect(alone).toMatchObject({
      datasets: [],
      multimodalN: 5,
      multimodalMethods: ['ike'],
      sequentialMax: 0,
    });
    expect(alone.out).toMatch(/none\.multimodal-n5\.multimodal-ike$/);
    expect(() => parseFlags(['--datasets', 'none', '--multimodal-n', '0'])).toThrow(/leaves nothing to run/);
    expect(() => parseFlags(['--multimodal-n', '501'])).toThrow(/between 0 and 500/);
  });

  it('turns an E-VQA record into the EasyEdit multimodal request (templated prompt, image, NQ locality)', () => {
    const [record] = multimodalRecords('e-vqa', 1);
    const request = multimodalRequest(record!, 'e-vqa');
    expect(request.prompt).toBe(`Question: ${record!.src} Short answer:`);
    expect(request).toMatchObject({
      targetNew: record!.alt,
      image: record!.image,
      groundTruth: record!.pred,
    });
    expect(request.locality!.nq![0]!.prompt).toBe(record!.loc);
    const [caption] = multimodalRecords('e-ic', 1);
    expect(multimodalRequest(caption!, 'e-ic').prompt).toBe(caption!.src);
  });
});

describe('Table D on a random VLM over the micro model', () => {
  let dir: string;
  let vlm: VisionLanguageModel;
  // The text model of the run (no text data set is edited); the VLM has its own micro language model.
  let bench: ReturnType<typeof loadBenchModel>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmedit-table-d-'));
    await initBackend({ prefer: ['wasm'] });
    bench = loadBenchModel('micro');
    const lm = loadBenchModel('micro').model;
    vlm = createRandomVlm(tinyVlmConfig(lm.config, 64), lm, { seed: 2, resolveImage: renderSceneImage });
  });
  afterAll(() => {
    vlm.dispose();
    bench.model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (shard?: { index: number; count: number }) =>
    runBench({
      bench,
      methods: [],
      datasets: [],
      n: 1,
      seed: 3,
      mode: 'single',
      smoke: true,
      environment: environment({ name: 'wasm', kernelFixes: true }, dir, []),
      multimodal: { vlm, name: 'random-vlm', methods: METHODS, n: 2 },
      ...(shard === undefined ? {} : { shard }),
    });

  it('edits each record alone, scores the five metrics, restores the VLM and writes Table D with examples', {
    timeout: 300_000,
  }, async () => {
    const names = vlm.weightNames();
    const before = names.map((name) => vlm.weight(name).dataSync().slice());
    const tensors = tf.memory().numTensors;
    const results = await run();
    expect(tf.memory().numTensors).toBe(tensors);
    names.forEach((name, i) => {
      expect(vlm.weight(name).dataSync(), name).toEqual(before[i]);
    });
    const mm = results.multimodal!;
    expect(mm.runs.map((r) => `${r.method}/${r.dataset}`)).toEqual([
      'ft-llm/e-vqa',
      'ft-llm/e-ic',
      'ike/e-vqa',
      'ike/e-ic',
    ]);
    for (const r of mm.runs) {
      expect(`${r.method} ${r.status} ${r.reason ?? ''}`).toBe(`${r.method} done `);
      expect(r.records).toHaveLength(2);
      for (const record of r.records) {
        expect(record.error).toBeUndefined();
        for (const value of [
          record.scores.reliability,
          record.scores.tGenerality,
          record.scores.mGenerality,
          record.scores.tLocality,
        ])
          expect(value >= 0 && value <= 1).toBe(true);
      }
      expect(r.examples).toHaveLength(2);
    }
    // IKE edits nothing in the weights: text-only inputs keep every answer token (T-Locality 1) only if its
    // context does not change them; FT-LLM's weight edit is what moves locality. Both are in [0, 1] above.
    expect(mm.pre['e-vqa']!.reliability).toHaveLength(2);
    const md = renderMarkdown(results);
    expect(md).toContain('## Table D (E-VQA): multimodal editing of random-vlm');
    expect(md).toContain('## Table D (E-IC): multimodal editing of random-vlm');
    expect(md).toMatch(/M-Gen\.: MiniGPT-4/);
    expect(md).toMatch(/\| ike \| \d+\.\d \[/);
    const html = renderHtml(results, buildTables(results));
    expect(html).toContain('<img class="scene" src="data:image/png;base64,');

    // Two shards merged give the same Table D as the single run.
    const shards = [await run({ index: 1, count: 2 }), await run({ index: 2, count: 2 })];
    const merged = mergeShards(
      shards.map((results, i) => ({
        source: `shard${i + 1}`,
        results: JSON.parse(JSON.stringify(results)) as BenchResults,
      })),
    );
    const strip = (r: BenchResults) =>
      r.multimodal!.runs.map(({ wallMs: _, prepare: __, records, ...rest }) => ({
        ...rest,
        records: records.map(({ editMs: _e, ...record }) => record),
      }));
    expect(strip(merged)).toEqual(strip(JSON.parse(JSON.stringify(results)) as BenchResults));
    expect(merged.multimodal!.pre).toEqual(JSON.parse(JSON.stringify(mm.pre)));
  });
});
