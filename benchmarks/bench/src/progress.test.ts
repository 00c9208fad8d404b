import { describe, expect, it } from 'vitest';
import { formatDuration, progressBar, progressLine } from './progress.js';

describe('progress', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('00:00');
    expect(formatDuration(61.4)).toBe('01:01');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Number.NaN)).toBe('--:--');
  });

  it('draws the bar and extrapolates the ETA from the time per edit so far', () => {
    expect(progressLine({ done: 5, total: 20, phase: 'rome on zsre' }, 30, 10)).toBe(
      '[###-------] 5/20  25% elapsed 00:30 eta 01:30  rome on zsre',
    );
    expect(progressLine({ done: 0, total: 4, phase: 'pre-edit zsre' }, 2, 4)).toBe(
      '[----] 0/4   0% elapsed 00:02 eta --:--  pre-edit zsre',
    );
  });

  it('logs one line per phase (or per interval) when stderr is not a terminal', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    let t = 0;
    const bar = progressBar(stream, 10, () => t);
    bar.update({ done: 0, total: 4, phase: 'a' });
    t = 1;
    bar.update({ done: 1, total: 4, phase: 'a' });
    t = 12;
    bar.update({ done: 2, total: 4, phase: 'a' });
    bar.update({ done: 3, total: 4, phase: 'b' });
    bar.update({ done: 4, total: 4, phase: 'b' });
    bar.done();
    expect(written.map((w) => w.slice(w.indexOf(']') + 2, w.indexOf('%') + 1))).toEqual([
      '0/4   0%',
      '2/4  50%',
      '3/4  75%',
      '4/4 100%',
    ]);
    expect(written.every((w) => w.endsWith('\n'))).toBe(true);
  });
});
