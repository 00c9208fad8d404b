import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_N,
  DEFAULT_OUT,
  FlagError,
  PARTIAL_OUT_ROOT,
  parseFlags,
  SMOKE_N,
  SMOKE_OUT,
} from './flags.js';

describe('parseFlags', () => {
  it('fills the defaults', () => {
    const f = parseFlags([], '/home/u');
    expect(f).toEqual({
      methods: undefined,
      datasets: ['zsre', 'counterfact', 'zsre-rome'],
      n: DEFAULT_N,
      split: 'eval',
      hparamsFiles: new Map(),
      layersAuto: false,
      model: 'default',
      modelGiven: false,
      seed: 0,
      mode: 'single',
      out: DEFAULT_OUT,
      outKind: 'default',
      smoke: false,
      sequentialMax: 100,
      multimodalN: 30,
      jobs: 1,
      help: false,
    });
    expect(DEFAULT_OUT.replaceAll('\\', '/')).toMatch(/benchmarks\/results\/latest\/?$/);
  });

  it('reads every flag, in both --flag value and --flag=value forms', () => {
    const f = parseFlags(
      ['--methods', 'ft-l,rome', '--datasets=counterfact', '--n', '12', '--model=ckpt/gpt2', '--seed', '7'],
      '/home/u',
    );
    expect(f.methods).toEqual(['ft-l', 'rome']);
    expect(f.datasets).toEqual(['counterfact']);
    expect(f.n).toBe(12);
    expect(f.model).toBe('/home/u/ckpt/gpt2');
    expect(f.modelGiven).toBe(true);
    expect(f.seed).toBe(7);
    const g = parseFlags(['--', '--mode', 'sequential', '--out', 'res', '--model', 'micro'], '/w');
    expect(g.mode).toBe('sequential');
    expect(g.out).toBe('/w/res');
    expect(g.model).toBe('micro');
  });

  it('gives --smoke few records and its own output folder unless told otherwise', () => {
    const f = parseFlags(['--smoke'], '/w');
    expect(f.smoke).toBe(true);
    expect(f.n).toBe(SMOKE_N);
    expect(f.out).toBe(SMOKE_OUT);
    // ROME's zsRE protocol only when named (it would add a third round of edits to every method).
    expect(f.datasets).toEqual(['zsre', 'counterfact']);
    expect(parseFlags(['--smoke', '--datasets', 'zsre-rome'], '/w').datasets).toEqual(['zsre-rome']);
    expect(parseFlags(['--smoke', '--n', '5', '--out', '/tmp/x'], '/w')).toMatchObject({
      n: 5,
      out: '/tmp/x',
    });
  });

  it('sends a partial run to its own folder, so that only a full default run replaces latest/', () => {
    const partial = (argv: string[]) => parseFlags(argv, '/w');
    expect(partial(['--methods', 'rome,ft-l', '--n', '50', '--seed', '1'])).toMatchObject({
      out: join(PARTIAL_OUT_ROOT, 'rome+ft-l.n50.seed1'),
      outKind: 'partial',
    });
    expect(partial(['--datasets', 'counterfact', '--mode', 'sequential']).out).toBe(
      join(PARTIAL_OUT_ROOT, 'counterfact.mode-sequential'),
    );
    expect(partial(['--n', '3']).out).toBe(join(PARTIAL_OUT_ROOT, 'n3'));
    expect(partial(['--model', 'micro']).out).toBe(join(PARTIAL_OUT_ROOT, 'model-micro'));
    expect(partial(['--model', '/m/gpt2 xl']).out).toBe(join(PARTIAL_OUT_ROOT, 'model-gpt2_xl'));
    // Spelling out the defaults is still the default run; --out always wins.
    expect(
      partial(['--methods', 'all', '--datasets', 'zsre,counterfact,zsre-rome', '--n', String(DEFAULT_N)]).out,
    ).toBe(DEFAULT_OUT);
    expect(partial(['--methods', 'rome', '--out', 'results/latest'])).toMatchObject({
      out: '/w/results/latest',
      outKind: 'given',
    });
    for (const argv of [
      ['--methods', 'kn'],
      ['--seed', '2'],
      ['--datasets', 'zsre'],
      ['--datasets', 'zsre,counterfact'],
    ]) {
      expect(partial(argv).out).not.toBe(DEFAULT_OUT);
    }
  });

  it('reads --split and --hparams, and sends such runs to their own folder', () => {
    const f = parseFlags(
      ['--split', 'train', '--hparams', 'rome=tune/rome.json,memit=/abs/memit.yaml'],
      '/w',
    );
    expect(f.split).toBe('train');
    expect([...f.hparamsFiles]).toEqual([
      ['rome', '/w/tune/rome.json'],
      ['memit', '/abs/memit.yaml'],
    ]);
    expect(f.out).toBe(join(PARTIAL_OUT_ROOT, 'split-train.hparams-rome+memit'));
    expect(parseFlags(['--split', 'eval'], '/w').out).toBe(DEFAULT_OUT);
    expect(() => parseFlags(['--split', 'test'])).toThrow(/--split must be one of eval, train, got 'test'/);
    expect(() => parseFlags(['--hparams', 'rome'])).toThrow(/METHOD=FILE items/);
    expect(() => parseFlags(['--hparams', 'rome=a.json,rome=b.json'])).toThrow(/'rome' given twice/);
  });

  it('reads --dataset-file: only the file by default, shipped sets when named, a larger --n', () => {
    const f = parseFlags(['--dataset-file', 'data/test_cf.json', '--n', '885'], '/w');
    expect(f.datasetFile).toBe('/w/data/test_cf.json');
    expect(f.datasets).toEqual([]);
    expect(f.n).toBe(885);
    const g = parseFlags(['--dataset-file=/d/ZsRE-test-all.json', '--datasets', 'zsre,knowedit-zsre'], '/w');
    expect(g.datasets).toEqual(['zsre', 'knowedit-zsre']);
    expect(() => parseFlags(['--datasets', 'knowedit-wikibio'])).toThrow(
      /knowedit-wikibio is read from its KnowEdit file: pass --dataset-file <path> \(get it from https:\/\/huggingface.co\/datasets\/zjunlp\/KnowEdit\)/,
    );
    expect(() => parseFlags(['--n', '301'])).toThrow(/between 1 and 300/);
    expect(() =>
      parseFlags(['--dataset-file', 'a.json', '--datasets', 'knowedit-zsre,knowedit-recent']),
    ).toThrow(/one KnowEdit set per run/);
  });

  it('rejects bad input with a FlagError that says what is wrong', () => {
    expect(() => parseFlags(['--n', '0'])).toThrow(/--n must be between 1 and 300/);
    expect(() => parseFlags(['--n', 'ten'])).toThrow(/must be an integer/);
    expect(() => parseFlags(['--mode', 'parallel'])).toThrow(
      /--mode must be one of single, batch, sequential/,
    );
    expect(() => parseFlags(['--datasets', 'wiki'])).toThrow(/unknown data set 'wiki'/);
    expect(() => parseFlags(['--nn', '3'])).toThrow(/unknown argument '--nn'/);
    expect(() => parseFlags(['--model'])).toThrow(/--model needs a value/);
    expect(() => parseFlags(['--seed', '1', '--seed', '2'])).toThrow(/given twice/);
    // node:util parseArgs underneath: its errors come back as FlagErrors in the bench's words.
    expect(() => parseFlags(['--smoke=1'])).toThrow(/--smoke takes no value/);
    expect(() => parseFlags(['rome'])).toThrow(/unknown argument 'rome'/);
    expect(() => parseFlags(['--out', '--smoke'])).toThrow(/--out needs a value/);
    expect(parseFlags(['-h']).help).toBe(true);
    expect(parseFlags(['--', '--n', '3']).n).toBe(3);
    expect(() => parseFlags(['--jobs', '2', '--shard', '1/2'])).toThrow(/--jobs or --shard/);
    expect(() => parseFlags(['--jobs', '2', '--resume', 'x'])).toThrow(/--resume continues one process/);
    expect(parseFlags(['--resume', 'old'], '/w')).toMatchObject({ resume: '/w/old', out: '/w/old' });
    expect(() => parseFlags(['--smoke=1'])).toThrow(FlagError);
  });
});
