import { describe, expect, it } from 'vitest';
import {
  argmaxAgreement,
  argmaxExactAgreement,
  compareTargets,
  exactMatch,
  meanNll,
  tokenAccuracy,
} from './token-metrics.js';

describe('teacher-forced token metrics', () => {
  it('gives partial credit per token: 2 of 3 target tokens right is 2/3, and no exact match', () => {
    const score = { targetIds: [5, 9, 7], argmaxIds: [5, 9, 8], logProbs: [-1, -1, -1] };
    expect(tokenAccuracy(score)).toBeCloseTo(2 / 3, 12);
    expect(exactMatch(score)).toBe(0);
    expect(exactMatch({ ...score, argmaxIds: [5, 9, 7] })).toBe(1);
    expect(tokenAccuracy({ ...score, argmaxIds: [1, 2, 3] })).toBe(0);
  });

  it("reproduces EasyEdit's locality example: [29,234,334] vs [29,234,333] = 66.67%", () => {
    expect(100 * argmaxAgreement([29, 234, 334], [29, 234, 333])).toBeCloseTo(66.67, 2);
    expect(argmaxExactAgreement([29, 234, 334], [29, 234, 333])).toBe(0);
    expect(argmaxExactAgreement([29, 234, 334], [29, 234, 334])).toBe(1);
  });

  it('rejects empty or misaligned token lists with a typed error', () => {
    expect(() => argmaxAgreement([1, 2], [1])).toThrow(/argmaxIds/);
    expect(() => tokenAccuracy({ targetIds: [], argmaxIds: [], logProbs: [] })).toThrow(/no tokens/);
  });

  it('compares mean NLLs as ROME does (success and geometric-mean probability margin)', () => {
    // New target: two tokens with probabilities 0.5 and 0.2 -> N = -(ln .5 + ln .2)/2, geometric mean sqrt(.1).
    const preferred = { logProbs: [Math.log(0.5), Math.log(0.2)] };
    const other = { logProbs: [Math.log(0.25)] };
    expect(meanNll(preferred)).toBeCloseTo(-(Math.log(0.5) + Math.log(0.2)) / 2, 12);
    const { success, magnitude } = compareTargets(preferred, other);
    expect(success).toBe(1); // sqrt(0.1) = 0.316 > 0.25
    expect(magnitude).toBeCloseTo(Math.sqrt(0.1) - 0.25, 12);
    expect(compareTargets(other, preferred)).toEqual({ success: 0, magnitude: -magnitude });
    // A tie is not a success: the preferred answer must be strictly more likely.
    expect(compareTargets(other, other).success).toBe(0);
  });
});
