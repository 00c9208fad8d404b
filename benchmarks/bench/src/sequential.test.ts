import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBenchModel } from './bench-model.js';
import { parseFlags } from './flags.js';
import { main } from './main.js';
import { BENCH_METHODS } from './methods.js';
import { type BenchResults, environment } from './results.js';
import { runBench } from './run.js';
import { MAX_SEQUENTIAL, sequentialCheckpoints, sequentialRecords } from './sequential.js';
import { sink } from './test-sink.js';

describe('Table E: where the sequence comes from', () => {
  it('evaluates at T = 1, 10, 100, ... and at the last T', () => {
    expect(sequentialCheckpoints(1)).toEqual([1]);
    expect(sequentialCheckpoints(2)).toEqual([1, 2]);
    expect(sequentialCheckpoints(100)).toEqual([1, 10, 100]);
    expect(sequentialCheckpoints(300)).toEqual([1, 10, 100, 300]);
    expect(sequentialCheckpoints(1000)).toEqual([1, 10, 100, 1000]);
  });

  it('takes the evaluation split first and continues with the training split past its 300 records', () => {
    const evaluation = loadSplit('zsre', 'eval');
    const training = loadSplit('zsre', 'train');
    const short = sequentialRecords(5);
    expect(short.sources).toEqual({ eval: 5, train: 0 });
    expect(short.requests).toEqual(evaluation.slice(0, 5));
    const long = sequentialRecords(302);
    expect(long.sources).toEqual({ eval: 300, train: 2 });
    expect(long.requests.slice(300)).toEqual(training.slice(0, 2));
    // A tuning run edits training records only.
    expect(sequentialRecords(3, 'train').requests).toEqual(training.slice(0, 3));
    expect(() => sequentialRecords(MAX_SEQUENTIAL + 1)).toThrow(/fewer than T = 1038/);
  });

  it('is on by default in single mode on zsre, off elsewhere, and --sequential-max sets it', () => {
    expect(parseFlags([]).sequentialMax).toBe(100);
    expect(parseFlags(['--smoke']).sequentialMax).toBe(2);
    expect(parseFlags(['--datasets', 'counterfact']).sequentialMax).toBe(0);
    expect(parseFlags(['--mode', 'batch']).sequentialMax).toBe(0);
    const long = parseFlags(['--datasets', 'none', '--sequential-max', '1000', '--methods', 'grace']);
    expect(long).toMatchObject({ datasets: [], sequentialMax: 1000 });
    expect(long.out).toMatch(/grace\.none\.sequential-max-1000$/);
    expect(() => parseFlags(['--datasets', 'none', '--multimodal-n', '0'])).toThrow(/leaves nothing to run/);
    expect(() => parseFlags(['--sequential-max', '2000'])).toThrow(/between 0 and 1037/);
  });
});

describe('Table E on the micro model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmedit-sequential-'));
    await initBackend({ prefer: ['wasm'] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies T edits one after another, evaluates all T at each point and writes Table E and its curves', async () => {
    const out = join(dir, 'e');
    const stdout = sink();
    const code = await main(
      ['--model', 'micro', '--methods', 'ft-m,grace', '--datasets', 'none', '--sequential-max', '12'].concat([
        '--out',
        out,
      ]),
      { stdout, stderr: sink() },
    );
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
    expect(results.records).toEqual([]);
    const sequential = results.sequential!;
    expect(sequential).toMatchObject({ max: 12, checkpoints: [1, 10, 12], sources: { eval: 12, train: 0 } });
    expect(sequential.pre.reliability).toHaveLength(12);
    for (const run of sequential.runs) {
      expect(run.status, run.method).toBe('done');
      expect(run.points.map((p) => p.edits)).toEqual([1, 10, 12]);
      for (const point of run.points) {
        // Every edit so far is evaluated, each metric a token accuracy in [0, 1].
        expect(point.values.reliability).toHaveLength(point.edits);
        for (const v of point.values.locality!) expect(v >= 0 && v <= 1).toBe(true);
        expect(point.nonFinite).toEqual({ weights: 0, scores: 0 });
        expect(point.editMs.cumulative).toBeGreaterThan(0);
      }
    }
    // GRACE reports its codebook after each edit: it grows with the edits.
    const grace = sequential.runs.find((r) => r.method === 'grace')!;
    expect(grace.points.at(-1)!.state!.codebookSize).toBeGreaterThan(grace.points[0]!.state!.codebookSize!);

    const md = readFileSync(join(out, 'table.md'), 'utf8');
    expect(md).toContain('## Table E: sequential editing, the collapse point');
    expect(md).toMatch(/## Table E \(T = 10\): sequential editing, ZsRE/);
    expect(md).toMatch(/\| grace \| \d+\.\d \[/);
    // WISE Table 2 has T = 1 and 10 columns, not T = 12.
    expect(md.split('## Table E (T = 10)')[1]!.split('## ')[0]).toContain('LLaMA-2-7B');
    expect(md.split('## Table E (T = 12)')[1]!.split('## ')[0]).toContain('WISE Table 2 has no column');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const title of [
      'Reliability of all T edits',
      'Locality after T edits',
      'Seconds per edit (mean of T)',
    ])
      expect(html).toContain(title);
  });

  it('leaves no NaN or Inf in any weight or score after 20 sequential edits of every method, and restores the model', {
    timeout: 900_000,
  }, async () => {
    const bench = loadBenchModel('micro');
    const names = bench.model.weightNames();
    const before = names.map((name) => bench.model.weight(name).dataSync().slice());
    const tensors = tf.memory().numTensors;
    const methods = BENCH_METHODS.filter((m) => m.method.capabilities.sequential);
    const results = await runBench({
      bench,
      methods,
      datasets: [],
      n: 1,
      seed: 0,
      mode: 'single',
      smoke: true,
      environment: environment({ name: 'wasm', kernelFixes: true }, dir, []),
      sequentialMax: 20,
      // Reliability and locality are enough to see a broken model; portability adds nothing here.
      evaluation: { zsre: { suites: ['easyedit'], seed: 0 } },
    });
    const runs = results.sequential!.runs;
    expect(runs.map((r) => r.method)).toEqual(methods.map((m) => m.method.id));
    for (const run of runs) {
      expect(`${run.method}: ${run.status} ${run.reason ?? ''}`).toBe(`${run.method}: done `);
      expect(run.points.map((p) => p.edits)).toEqual([1, 10, 20]);
      for (const point of run.points)
        expect({ method: run.method, ...point.nonFinite }).toEqual({
          method: run.method,
          weights: 0,
          scores: 0,
        });
    }
    // Every sequence was reverted: the weights are bit for bit what they were, and no tensor leaked.
    expect(bench.model.weightNames()).toEqual(names);
    names.forEach((name, i) => {
      expect(bench.model.weight(name).dataSync(), name).toEqual(before[i]);
    });
    expect(tf.memory().numTensors).toBe(tensors);
    bench.model.dispose();
  });
});
