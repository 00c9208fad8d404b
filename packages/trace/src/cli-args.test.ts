import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { parseTraceArgs } from './cli-args.js';

describe('parseTraceArgs', () => {
  it('reads a single-fact trace with its options', () => {
    const command = parseTraceArgs([
      '--model',
      'micro',
      '--prompt',
      'Satyajit Ray speaks',
      '--subject',
      'Satyajit Ray',
      '--kind',
      'mlp',
      '--samples',
      '4',
      '--noise',
      '0.5',
      '--seed',
      '0',
      '--window',
      '2',
      '--out',
      'x.svg',
    ]);
    expect(command).toEqual({
      command: 'fact',
      model: 'micro',
      prompt: 'Satyajit Ray speaks',
      subject: 'Satyajit Ray',
      kind: 'mlp',
      samples: 4,
      noise: 0.5,
      seed: 0,
      window: 2,
      out: 'x.svg',
    });
  });

  it('reads an average over known facts, with residual as the default kind', () => {
    expect(parseTraceArgs(['--model', './gpt2', '--known', '100', '--json', 'a.json'])).toEqual({
      command: 'average',
      model: './gpt2',
      known: 100,
      kind: 'residual',
      json: 'a.json',
    });
    expect(parseTraceArgs(['-h'])).toEqual({ command: 'help' });
  });

  it('names the offending flag', () => {
    const bad: [string[], RegExp][] = [
      [['--prompt', 'a', '--subject', 'a'], /--model/],
      [['--model', 'micro', '--prompt', 'a'], /--prompt/],
      [['--model', 'micro', '--known', '0'], /--known/],
      [['--model', 'micro', '--known', '5', '--prompt', 'a'], /--known/],
      [['--model', 'micro', '--known', '5', '--kind', 'ffn'], /--kind/],
      [['--model', 'micro', '--known', '5', '--noise=-1'], /--noise/],
      [['--model', 'micro', '--known', '5', '--samples', '2.5'], /--samples/],
    ];
    for (const [argv, message] of bad) {
      expect(() => parseTraceArgs(argv)).toThrow(InvalidRequestError);
      expect(() => parseTraceArgs(argv)).toThrow(message);
    }
    expect(() => parseTraceArgs(['--model', 'micro', '--bogus'])).toThrow(InvalidRequestError);
  });
});
