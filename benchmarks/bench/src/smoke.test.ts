import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentBackend, initBackend } from '@llmedit/core';
import { ftL } from '@llmedit/ft';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchMethod } from './bench-method.js';
import { loadBenchModel } from './bench-model.js';
import { main, writeOutputs } from './main.js';
import { BENCH_METHODS } from './methods.js';
import { environment } from './results.js';
import { type RunOptions, runBench } from './run.js';
import { sink } from './test-sink.js';

describe('pnpm bench on the micro model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmedit-bench-'));
    await initBackend({ prefer: ['wasm'] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs one method end to end and writes results.json, table.md and report.html', async () => {
    const out = join(dir, 'run');
    const stdout = sink();
    const stderr = sink();
    const code = await main(
      [
        '--model',
        'micro',
        '--methods',
        'ft-l',
        '--n',
        '2',
        '--out',
        out,
        '--seed',
        '5',
        '--sequential-max',
        '0',
      ],
      {
        stdout,
        stderr,
      },
    );
    expect(code).toBe(0);
    for (const file of ['results.json', 'table.md', 'report.html'])
      expect(existsSync(join(out, file))).toBe(true);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.complete).toBe(true);
    expect(results.options).toMatchObject({ methods: ['ft-l'], n: 2, seed: 5, mode: 'single' });
    expect(results.model.hash).toBe(loadBenchModel('micro').model.modelId);
    // main() starts the default backend order: native where OpenBLAS loads, else wasm.
    expect(['native', 'wasm']).toContain(results.environment.backend.name);
    expect(results.environment.backend.name).toBe(currentBackend()?.name);
    // Every method package's version is recorded, found from the method itself (no hand-kept list).
    expect(results.methods[0]).toMatchObject({ id: 'ft-l', package: '@llmedit/ft' });
    expect(results.environment.packages['@llmedit/ft']).toMatch(/^\d+\.\d+\.\d+/);
    // 2 records of each data set: zsre, counterfact and zsre-rome (ROME's zsRE protocol).
    expect(results.records).toHaveLength(6);
    expect(results.pre).toHaveLength(6);
    const romeZsre = results.records.find((r: { dataset: string }) => r.dataset === 'zsre-rome');
    expect(Object.keys(romeZsre.metrics).sort()).toEqual(['efficacy', 'paraphrase', 'specificity']);
    expect(romeZsre.metrics.efficacy.tag).toBe('rome-zsre/pooled-token-accuracy');
    const cf = results.records.find((r: { dataset: string }) => r.dataset === 'counterfact');
    for (const metric of [
      'reliability',
      'generalization',
      'locality',
      'portability',
      'fluency',
      'ES',
      'NS',
      'GE',
    ])
      expect(cf.metrics[metric], metric).toBeDefined();
    expect(cf.editMs).toBeGreaterThan(0);

    const md = readFileSync(join(out, 'table.md'), 'utf8');
    expect(md).toMatch(/\| ft-l \| \d+\.\d \[/);
    expect(stdout.text).toContain('## Table B1');
    expect(stdout.text).toContain("## Table B3 (ZsRE): ROME's zsRE protocol");
    expect(stderr.text).toMatch(/\[#+\] 6\/6 100%/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');

    // Same seed, same numbers (timings aside).
    const again = join(dir, 'again');
    expect(
      await main(
        [
          '--model',
          'micro',
          '--methods',
          'ft-l',
          '--n',
          '2',
          '--out',
          again,
          '--seed',
          '5',
          '--datasets',
          'zsre',
          '--sequential-max',
          '0',
        ],
        {
          stdout: sink(),
          stderr: sink(),
        },
      ),
    ).toBe(0);
    const second = JSON.parse(readFileSync(join(again, 'results.json'), 'utf8'));
    const zsre = results.records.filter((r: { dataset: string }) => r.dataset === 'zsre');
    expect(second.records.map((r: { metrics: unknown }) => r.metrics)).toEqual(
      zsre.map((r: { metrics: unknown }) => r.metrics),
    );
  });

  it('tunes on the training split with a --hparams file, recorded in results.json', async () => {
    const out = join(dir, 'tune');
    const file = join(dir, 'ft-l.json');
    writeFileSync(file, JSON.stringify({ layers: [0], numSteps: 2, lr: 0.01 }));
    const code = await main(
      ['--model', 'micro', '--methods', 'ft-l', '--datasets', 'zsre', '--n', '1', '--split', 'train'].concat([
        '--hparams',
        `ft-l=${file}`,
        '--out',
        out,
        '--sequential-max',
        '0',
      ]),
      { stdout: sink(), stderr: sink() },
    );
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.options).toMatchObject({ split: 'train', hparamsFiles: { 'ft-l': file } });
    expect(results.runs[0].hparams).toMatchObject({ layers: [0], numSteps: 2, lr: 0.01 });
    const { loadSplit } = await import('@llmedit/datasets');
    expect(results.pre[0].id).toBe(loadSplit('zsre', 'train')[0]!.id ?? '0');

    const stderr = sink();
    expect(
      await main(['--model', 'micro', '--methods', 'ft-l', '--hparams', 'rome=x.json'], {
        stderr,
        stdout: sink(),
      }),
    ).toBe(2);
    expect(stderr.text).toMatch(/--hparams: method 'rome' is not in this run \(ft-l\)/);
    writeFileSync(file, '[1]');
    const bad = sink();
    expect(
      await main(['--model', 'micro', '--methods', 'ft-l', '--hparams', `ft-l=${file}`], {
        stderr: bad,
        stdout: sink(),
      }),
    ).toBe(2);
    expect(bad.text).toContain('expected a JSON object of hyperparameters');
  });

  it('stops after the current edit when interrupted and keeps the partial results readable', async () => {
    const bench = loadBenchModel('micro');
    const controller = new AbortController();
    const results = await runBench({
      bench,
      methods: BENCH_METHODS.filter((m) => m.method.id === 'ft-l'),
      datasets: ['zsre'],
      n: 3,
      seed: 0,
      mode: 'single',
      smoke: true,
      environment: environment({ name: 'wasm', kernelFixes: true }, dir, []),
      signal: controller.signal,
      onProgress: (event) => {
        if (event.done >= 1) controller.abort();
      },
    });
    expect(results.complete).toBe(false);
    expect(results.records).toHaveLength(1);
    expect(results.runs[0]).toMatchObject({ status: 'partial', edited: 1 });
    const out = join(dir, 'partial');
    writeOutputs(results, out);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).complete).toBe(false);
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toContain('Partial results');
  });

  it('resumes an interrupted run: finished units are kept, the rest run, the numbers are the whole run', async () => {
    const bench = loadBenchModel('micro');
    const base: RunOptions = {
      bench,
      methods: BENCH_METHODS.filter((m) => m.method.id === 'ft-l' || m.method.id === 'ft-m'),
      datasets: ['zsre'],
      n: 2,
      seed: 0,
      mode: 'single',
      smoke: true,
      environment: environment({ name: 'wasm', kernelFixes: true }, dir, []),
      evaluation: { zsre: { suites: ['easyedit'] } },
    };
    const whole = await runBench(base);
    const controller = new AbortController();
    const cut = await runBench({
      ...base,
      signal: controller.signal,
      // ft-l's two edits finish its unit; ft-m's first edit leaves its unit partial.
      onProgress: (event) => {
        if (event.done >= 3) controller.abort();
      },
    });
    expect(cut.complete).toBe(false);
    expect(cut.runs.map((r) => `${r.method}:${r.status}`)).toEqual(['ft-l:done', 'ft-m:partial']);
    const resumed = await runBench({ ...base, resume: JSON.parse(JSON.stringify(cut)) });
    expect(resumed.complete).toBe(true);
    expect(resumed.resumed).toHaveLength(1);
    expect(resumed.startedAt).toBe(cut.startedAt);
    const metrics = (r: typeof whole) => r.records.map((x) => [x.method, x.id, x.metrics]);
    expect(metrics(resumed)).toEqual(metrics(whole));
    // ft-l's records are the cut run's own (not run again): same edit times.
    expect(resumed.records.filter((r) => r.method === 'ft-l').map((r) => r.editMs)).toEqual(
      cut.records.filter((r) => r.method === 'ft-l').map((r) => r.editMs),
    );
    await expect(runBench({ ...base, resume: resumed })).rejects.toThrow(/nothing to resume/);
    await expect(runBench({ ...base, n: 1, resume: JSON.parse(JSON.stringify(cut)) })).rejects.toThrow(
      /options differ/,
    );
    bench.model.dispose();
  });

  it('fails a smoke run on any failed edit; a full run reports it in the results and exits 0', async () => {
    // The first edit of each run throws, the second succeeds (a method whose every edit fails is a failed
    // run: run-status.test.ts).
    let calls = 0;
    const broken = benchMethod(
      {
        ...ftL,
        async doEdit(...args: Parameters<typeof ftL.doEdit>) {
          calls++;
          if (calls % 2 === 1) throw new Error('boom');
          return ftL.doEdit(...args);
        },
      },
      {},
    );
    const run = async (extra: string[]) => {
      calls = 0;
      const stderr = sink();
      const code = await main(
        [
          '--model',
          'micro',
          '--datasets',
          'zsre',
          '--n',
          '2',
          '--out',
          join(dir, 'broken'),
          '--sequential-max',
          '0',
          ...extra,
        ],
        { stdout: sink(), stderr, methods: [broken], evaluation: { zsre: { suites: ['easyedit'] } } },
      );
      return { code, stderr: stderr.text };
    };
    const smoke = await run(['--smoke']);
    expect(smoke.code).toBe(1);
    expect(smoke.stderr).toContain('boom');
    const full = await run([]);
    expect(full.code).toBe(0);
    const results = JSON.parse(readFileSync(join(dir, 'broken', 'results.json'), 'utf8'));
    expect(results.records[0].error).toContain('boom');
  });

  it('runs a KnowEdit file given by path (--dataset-file) with the EasyEdit protocol', async () => {
    // The upstream wiki_counterfact layout, with a probe without answer as the published files have.
    const file = join(dir, 'test_cf.json');
    const record = (subject: string, truth: string, target: string) => ({
      subject,
      prompt: `The mother tongue of ${subject} is`,
      target_new: target,
      ground_truth: truth,
      portability: { Subject_Aliasing: [{ prompt: `${subject} spoke the language`, ground_truth: target }] },
      locality: {
        Relation_Specificity: [
          { prompt: 'The mother tongue of Léon Blum is', ground_truth: 'French' },
          { prompt: `The gender of ${subject} is`, ground_truth: [[]] },
        ],
      },
    });
    writeFileSync(
      file,
      JSON.stringify([
        record('Danielle Darrieux', 'French', 'English'),
        record('Thomas Joannes Stieltjes', 'Dutch', 'English'),
      ]),
    );
    const out = join(dir, 'knowedit');
    const stderr = sink();
    const stdout = sink();
    const code = await main(
      ['--model', 'micro', '--methods', 'ft-l', '--n', '2', '--out', out, '--dataset-file', file],
      {
        stdout,
        stderr,
        evaluation: { 'knowedit-counterfact': { suites: ['easyedit'] } },
      },
    );
    expect(code).toBe(0);
    expect(stderr.text).toContain(
      '2 probe(s) without any answer left out (first: record 0, locality.Relation_Specificity[1])',
    );
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.options.datasets).toEqual(['knowedit-counterfact']);
    expect(results.records).toHaveLength(2);
    expect(results.records[0].error).toBeUndefined();
    for (const metric of ['reliability', 'locality', 'locality.Relation_Specificity', 'portability'])
      expect(results.records[0].metrics[metric], metric).toBeDefined();
    expect(stdout.text).toContain('## Table A (KnowEdit counterfact)');
    // A KnowEdit name in --datasets must match the file; without the file it is a flag error.
    const wrong = sink();
    expect(
      await main(['--model', 'micro', '--datasets', 'knowedit-zsre', '--dataset-file', file], {
        stdout: sink(),
        stderr: wrong,
      }),
    ).toBe(2);
    expect(wrong.text).toContain('is a knowedit-counterfact file');
  });

  it('rejects bad flags and unknown methods with exit code 2', async () => {
    const stderr = sink();
    expect(await main(['--methods', 'nope'], { stderr, stdout: sink() })).toBe(2);
    expect(stderr.text).toContain("Unknown editing method 'nope'");
    expect(await main(['--n', '-1'], { stderr: sink(), stdout: sink() })).toBe(2);
  });
});
