import { describe, expect, it } from 'vitest';
import { kendallTauB, midRanks, rankAgreement, spearmanRho } from './rank.js';

describe('midRanks', () => {
  it('gives tied values the mean of the ranks they span', () => {
    expect(midRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(midRanks([3, 1, 2])).toEqual([3, 1, 2]);
    expect(midRanks([5, 5, 5])).toEqual([2, 2, 2]);
  });
});

describe('spearmanRho', () => {
  it('matches the tie-corrected value (scipy.stats.spearmanr([1,2,3,4,5],[5,6,7,8,7]) = 0.82078...)', () => {
    expect(spearmanRho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 12);
  });

  it('is +1 / -1 for monotone relations and ignores the scale', () => {
    expect(spearmanRho([1, 2, 3, 4], [10, 100, 1000, 10000])).toBeCloseTo(1, 12);
    expect(spearmanRho([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('is NaN when undefined', () => {
    expect(spearmanRho([1], [2])).toBeNaN();
    expect(spearmanRho([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => spearmanRho([1, 2], [1])).toThrow(RangeError);
  });
});

describe('kendallTauB', () => {
  it('matches scipy.stats.kendalltau([12,2,1,12,2],[1,4,7,1,0]) = -0.47140...', () => {
    // 2 concordant, 6 discordant pairs; 2 pairs tied in x, 1 in y: -4 / sqrt(8 * 9).
    expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-4 / Math.sqrt(72), 12);
  });

  it('equals tau-a without ties and handles ties on one side', () => {
    // Pairs: (1,2) C, (1,3) C, (1,4) C, (2,3) D, (2,4) C, (3,4) C: (5 - 1) / 6.
    expect(kendallTauB([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12);
    // y ties one pair: n0 = 6, n1 = 0, n2 = 1; all 5 untied pairs concordant: 5 / sqrt(6 * 5).
    expect(kendallTauB([1, 2, 3, 4], [1, 2, 2, 4])).toBeCloseTo(5 / Math.sqrt(30), 12);
  });

  it('is NaN when undefined', () => {
    expect(kendallTauB([3], [1])).toBeNaN();
    expect(kendallTauB([2, 2], [1, 5])).toBeNaN();
  });
});

describe('rankAgreement', () => {
  it('compares only the keys with a finite value in both columns', () => {
    const ours = new Map([
      ['a', 0.9],
      ['b', 0.5],
      ['c', 0.1],
      ['d', 0.7],
    ]);
    const published = new Map([
      ['a', 99],
      ['b', 50],
      ['c', Number.NaN],
      ['e', 10],
      ['d', 20],
    ]);
    const r = rankAgreement(ours, published);
    expect(r.keys).toEqual(['a', 'b', 'd']);
    // ours ranks a > d > b, published a > b > d: rho = 0.5, tau-b = 1/3.
    expect(r.rho).toBeCloseTo(0.5, 12);
    expect(r.tauB).toBeCloseTo(1 / 3, 12);
  });
});
