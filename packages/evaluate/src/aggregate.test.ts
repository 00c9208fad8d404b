import { LlmeditError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { aggregate, aggregateValues, formatAggregates, harmonicMean } from './aggregate.js';
import { PROTOCOL_TAGS, ProtocolMixError, type RecordResult } from './protocol.js';

const acc = (value: number) => ({ value, tag: PROTOCOL_TAGS.tokenAccuracy, count: 1 });
const cmp = (value: number) => ({ value, tag: PROTOCOL_TAGS.probabilityComparison, count: 1 });

describe('aggregation', () => {
  it('averages each metric over the records that carry it, with its tag and an interval', () => {
    const results: RecordResult[] = [
      { id: 'a', metrics: { reliability: acc(1), generalization: acc(0.5) } },
      { id: 'b', metrics: { reliability: acc(0) } },
      { id: 'c', metrics: { reliability: acc(2 / 3) } },
    ];
    const report = aggregate(results, { seed: 1 });
    expect(report.reliability!.mean).toBeCloseTo(5 / 9, 12);
    expect(report.reliability!.n).toBe(3);
    expect(report.reliability!.tag).toBe('teacher-forced/token-accuracy');
    expect(report.reliability!.interval.low).toBeLessThanOrEqual(5 / 9);
    expect(report.reliability!.interval.high).toBeGreaterThanOrEqual(5 / 9);
    expect(report.generalization).toMatchObject({ mean: 0.5, n: 1, interval: { low: 0.5, high: 0.5 } });
    expect(report.S).toBeUndefined();
    // Seeded: the same inputs give the same intervals.
    expect(aggregate(results, { seed: 1 })).toEqual(report);
  });

  it('refuses to average values measured under different protocols', () => {
    const results: RecordResult[] = [
      { id: 'a', metrics: { locality: acc(1) } },
      { id: 'b', metrics: { locality: { value: 1, tag: PROTOCOL_TAGS.argmaxAgreement, count: 1 } } },
    ];
    let error: unknown;
    try {
      aggregate(results);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolMixError);
    expect(LlmeditError.isInstance(error) && error.code).toBe('PROTOCOL_MIX');
    expect((error as Error).message).toMatch(
      /locality.*teacher-forced\/token-accuracy.*pre-post\/argmax-agreement/,
    );
    expect(() => aggregateValues('x', [acc(1), cmp(1)])).toThrow(ProtocolMixError);
  });

  it("adds ROME's Score as the harmonic mean of the ES, PS and NS means", () => {
    const results: RecordResult[] = [
      { id: 'a', metrics: { ES: cmp(1), PS: cmp(1), NS: cmp(0.5) } },
      { id: 'b', metrics: { ES: cmp(1), PS: cmp(0), NS: cmp(0.7) } },
    ];
    const report = aggregate(results, { seed: 4 });
    // ES 1, PS 0.5, NS 0.6 -> 3 / (1 + 2 + 1/0.6).
    expect(report.S!.mean).toBeCloseTo(3 / (1 + 2 + 1 / 0.6), 12);
    expect(report.S!.tag).toBe('probability/comparison-harmonic-mean');
    expect(report.S!.n).toBe(2);
    expect(report.S!.interval.low).toBeLessThanOrEqual(report.S!.mean);
    expect(report.S!.interval.high).toBeGreaterThanOrEqual(report.S!.mean);
    expect(harmonicMean([1, 0, 1])).toBe(0);
    const mixed: RecordResult[] = [{ id: 'a', metrics: { ES: acc(1), PS: cmp(1), NS: cmp(1) } }];
    expect(() => aggregate(mixed)).toThrow(ProtocolMixError);
  });
});

describe('formatAggregates', () => {
  it('prints each named mean with its interval, and a dash for a missing metric', () => {
    const report = {
      ES: {
        tag: PROTOCOL_TAGS.probabilityComparison,
        mean: 0.92,
        n: 50,
        interval: { low: 0.84, high: 0.98, level: 0.95 },
      },
    };
    expect(formatAggregates(report, ['ES', 'PS'])).toBe('ES 0.920 [0.84, 0.98]  PS -');
    expect(formatAggregates(report, ['ES'], 2)).toBe('ES 0.92 [0.8, 1.0]');
  });
});
