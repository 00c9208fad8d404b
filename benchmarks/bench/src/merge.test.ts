import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@llmedit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShard } from './flags.js';
import { argsWithout } from './jobs.js';
import { main } from './main.js';
import { mergeShards } from './merge.js';
import type { BenchResults } from './results.js';
import { shardUnits } from './run.js';
import { renderMarkdown } from './tables.js';
import { sink } from './test-sink.js';

const read = (dir: string): BenchResults => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));

/** What must not depend on how a run was split: everything but times, dates and the environment. */
function comparable(results: BenchResults) {
  return {
    options: results.options,
    model: results.model,
    methods: results.methods,
    runs: results.runs.map(({ wallMs: _, prepare: __, ...run }) => run),
    pre: results.pre,
    records: results.records.map(({ editMs: _, peakBytes: __, peakExtraBytes: ___, ...record }) => record),
    sequential: results.sequential && {
      ...results.sequential,
      runs: results.sequential.runs.map(({ wallMs: _, prepare: __, points, ...run }) => ({
        ...run,
        points: points.map(({ editMs: _, evalMs: __, ...point }) => point),
      })),
    },
  };
}

describe('argsWithout', () => {
  it('drops flags in both forms and keeps the rest in order', () => {
    expect(
      argsWithout(['--', '--jobs', '2', '--n=3', '--out=x', '--smoke', '--out', 'y'], ['--jobs', '--out']),
    ).toEqual(['--n=3', '--smoke']);
  });
});

describe('shardUnits and --shard', () => {
  it('splits the (method, data set) units so that the shards cover each exactly once', () => {
    const methods = ['a', 'b', 'c'];
    const all = shardUnits(methods, ['zsre', 'counterfact']);
    const shards = [1, 2, 3, 4].map((index) =>
      shardUnits(methods, ['zsre', 'counterfact'], { index, count: 4 }),
    );
    expect(shards.flat().length).toBe(all.length);
    expect(new Set(shards.flat().map((u) => `${u.method}/${u.dataset}`)).size).toBe(all.length);
    expect(shards[0]).toEqual([all[0], all[4]]);
  });

  it('parses K/N and rejects the rest', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '2', 'a/b', '1/0'])
      expect(() => parseShard(bad), bad).toThrow(/--shard/);
  });
});

describe('pnpm bench --shard K/N and pnpm bench merge', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmedit-shards-'));
    await initBackend();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // One small run (Table E included) that the shards, the merge and --jobs must reproduce.
  const run = [
    '--model',
    'micro',
    '--methods',
    'ft-l,ft-m',
    '--n',
    '2',
    '--seed',
    '5',
    '--sequential-max',
    '3',
  ];

  it('three shards merged give the single run, metric for metric', { timeout: 600_000 }, async () => {
    const io = () => ({ stdout: sink(), stderr: sink() });
    expect(await main([...run, '--out', join(dir, 'whole')], io())).toBe(0);
    for (const k of [1, 2, 3])
      expect(await main([...run, '--shard', `${k}/3`, '--out', join(dir, `s${k}`)], io())).toBe(0);
    // Shard 1 of 3 ran units 0, 3 and 6 of the 8 (2 methods x zsre, counterfact, zsre-rome, then each
    // method's Table E sequence): ft-l and ft-m on zsre, and ft-l's sequence.
    const first = read(join(dir, 's1'));
    expect(first.runs.map((r) => `${r.method}/${r.dataset}`)).toEqual(['ft-l/zsre', 'ft-m/zsre']);
    expect(first.sequential?.runs.map((r) => r.method)).toEqual(['ft-l']);
    const shards = [3, 1, 2].map((k) => join(dir, `s${k}`));
    expect(await main(['merge', ...shards, '--out', join(dir, 'merged')], io())).toBe(0);
    const whole = read(join(dir, 'whole'));
    const merged = read(join(dir, 'merged'));
    expect(merged.complete).toBe(true);
    expect(merged.options.shard).toBeUndefined();
    expect(merged.records).toHaveLength(12);
    expect(merged.sequential?.runs.map((r) => r.method)).toEqual(['ft-l', 'ft-m']);
    expect(merged.sequential?.runs[1]?.points.map((p) => p.edits)).toEqual([1, 3]);
    expect(comparable(merged)).toEqual(comparable(whole));
    expect(merged.mergedShards).toBe(3);
    // The tables' numbers agree too (the header with its times and commits, and Table C's seconds aside).
    const metricsTable = (file: string) => {
      const text = readFileSync(file, 'utf8');
      return text.slice(text.indexOf('## Table A'), text.indexOf('## Table C'));
    };
    expect(metricsTable(join(dir, 'merged', 'table.md'))).toEqual(
      metricsTable(join(dir, 'whole', 'table.md')),
    );
  });

  it('--jobs 2 runs the shards side by side in child processes and gives the single run', {
    timeout: 600_000,
  }, async () => {
    const stderr = sink();
    expect(await main([...run, '--jobs', '2', '--out', join(dir, 'jobs')], { stdout: sink(), stderr })).toBe(
      0,
    );
    expect(stderr.text).toContain('job 2/2 finished with exit code 0');
    const jobs = read(join(dir, 'jobs'));
    expect(jobs.options.jobs).toBe(2);
    const { jobs: _, ...options } = jobs.options;
    expect(comparable({ ...jobs, options })).toEqual(comparable(read(join(dir, 'whole'))));
    expect(readFileSync(join(dir, 'jobs', 'table.md'), 'utf8')).toMatch(
      /min wall-clock \(2 jobs side by side\)/,
    );
  });

  it('says so when the shards ran at different commits', async () => {
    const shards = [1, 2, 3].map((k) => ({ source: `s${k}`, results: read(join(dir, `s${k}`)) }));
    // (A commit made while the shards ran would differ already: set them alike first.)
    for (const shard of shards) shard.results.environment.gitCommit = 'c0ffee000000';
    expect(mergeShards(shards).environment.shardCommits).toBeUndefined();
    shards[1]!.results.environment.gitCommit = 'feedface0000';
    const merged = mergeShards(shards);
    expect(merged.environment.shardCommits).toEqual(['c0ffee000000', 'feedface0000', 'c0ffee000000']);
    expect(renderMarkdown(merged)).toContain('per shard');
  });

  it('refuses a missing shard, a repeated one, a whole run and shards of another run', async () => {
    const s = (k: number) => join(dir, `s${k}`);
    const refuse = async (args: string[], pattern: RegExp) => {
      const stderr = sink();
      expect(await main(['merge', ...args], { stdout: sink(), stderr })).toBe(2);
      expect(stderr.text).toMatch(pattern);
    };
    await refuse([s(1), s(2)], /shards 3\/3 missing/);
    await refuse([s(1), s(2), s(2), s(3)], /given twice/);
    await refuse([s(1), join(dir, 'whole')], /not a shard/);
    await refuse([join(dir, 'nowhere')], /cannot read/);
    await refuse(['--bogus', s(1)], /Unknown option '--bogus'/);
  });
});
