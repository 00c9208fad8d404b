import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { parseTrainArtifactArgs } from './artifact-args.js';

describe('parseTrainArtifactArgs', () => {
  it('reads the model, folder, seed and repeated --set overrides (numbers, arrays, strings)', () => {
    expect(
      parseTrainArtifactArgs([
        '--',
        '--model',
        'micro',
        '--out',
        '/tmp/a',
        '--seed',
        '3',
        '--set',
        'steps=500',
        '--set',
        'layers=[5,6]',
        '--set',
        'editLoss=rephrase',
      ]),
    ).toEqual({
      help: false,
      force: false,
      model: 'micro',
      out: '/tmp/a',
      seed: 3,
      overrides: { steps: 500, layers: [5, 6], editLoss: 'rephrase' },
    });
    expect(parseTrainArtifactArgs(['--force'])).toEqual({
      help: false,
      force: true,
      model: 'default',
      out: undefined,
      seed: 0,
      overrides: {},
    });
    expect(parseTrainArtifactArgs(['--model', 'micro', '--help'])).toEqual({ help: true });
  });

  it('refuses unknown flags, a --set without a key and a fractional seed', () => {
    expect(() => parseTrainArtifactArgs(['--steps', '5'])).toThrow(/steps/);
    expect(() => parseTrainArtifactArgs(['--set', 'steps'])).toThrow(InvalidRequestError);
    expect(() => parseTrainArtifactArgs(['--seed', '1.5'])).toThrow(InvalidRequestError);
    expect(() => parseTrainArtifactArgs(['--set', 'layers=[5,'])).toThrow(/not a JSON array/);
  });
});
