import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidRequestError } from '@llmedit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointDir } from '../checkpoints.js';
import { parseCommandLine } from './command-line.js';
import { parseTrainArgs } from './train-args.js';

describe('parseCommandLine', () => {
  const options = { seed: { type: 'string' }, fast: { type: 'boolean' } } as const;

  it('returns the flags and positionals, dropping the lone -- that pnpm passes through', () => {
    const parsed = parseCommandLine('tool', ['--', 'a', '--seed', '3', '--fast'], options, 1);
    expect(parsed).toEqual({ help: false, values: { seed: '3', fast: true }, positionals: ['a'] });
  });

  it('answers --help and -h before anything else is checked', () => {
    expect(parseCommandLine('tool', ['--help'], options)).toEqual({ help: true });
    expect(parseCommandLine('tool', ['x', 'y', '-h'], options)).toEqual({ help: true });
  });

  it('rejects unknown flags, a flag without its value and extra positionals, naming them', () => {
    expect(() => parseCommandLine('tool', ['--sed', '3'], options)).toThrow(InvalidRequestError);
    expect(() => parseCommandLine('tool', ['--sed', '3'], options)).toThrow(/tool: .*'--sed'/);
    expect(() => parseCommandLine('tool', ['--seed'], options)).toThrow(/--seed/);
    expect(() => parseCommandLine('tool', ['a', 'b'], options, 1)).toThrow(/unexpected argument\(s\): b/);
  });
});

describe('parseTrainArgs (pnpm --filter @llmedit/pretrained train)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'llmedit-train-args-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints help instead of training', () => {
    expect(parseTrainArgs(['--help'])).toEqual({ help: true });
    expect(parseTrainArgs(['default', '--help'])).toEqual({ help: true });
  });

  it('refuses to replace the committed checkpoint without --force, and allows it with --force', () => {
    expect(() => parseTrainArgs(['default'])).toThrow(/--force.*checkpoints/);
    expect(() => parseTrainArgs(['micro'])).toThrow(InvalidRequestError);
    const forced = parseTrainArgs(['micro', '--force']);
    expect(forced).toMatchObject({ help: false, outDir: checkpointDir('micro') });
  });

  it('writes elsewhere with --out, refusing a folder that already holds a checkpoint', () => {
    const fresh = join(scratch, 'fresh');
    expect(parseTrainArgs(['micro', '--out', fresh, '--max-minutes', '2'])).toMatchObject({
      outDir: fresh,
      maxSeconds: 120,
      stateDir: undefined,
    });
    const used = join(scratch, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'model.safetensors'), '');
    expect(() => parseTrainArgs(['micro', '--out', used])).toThrow(/--force/);
  });

  it('rejects unknown flags, unknown presets and a bad --max-minutes', () => {
    expect(() => parseTrainArgs(['micro', '--steps', '5'])).toThrow(/--steps/);
    expect(() => parseTrainArgs([])).toThrow(/<preset>/);
    expect(() => parseTrainArgs(['huge', '--out', scratch])).toThrow(/'huge' is not one of/);
    expect(() => parseTrainArgs(['micro', '--out', join(scratch, 'x'), '--max-minutes', '0'])).toThrow(
      /--max-minutes/,
    );
  });
});
