import { expect } from 'vitest';
import { PROTOCOL_TAGS, type RecordResult } from '../src/protocol.js';

/** Same metrics, tags and counts; magnitudes (float sums of probabilities) to 1e-5, everything else exact. */
export function expectSameResults(a: readonly RecordResult[], b: readonly RecordResult[]): void {
  expect(b.map((r) => r.id)).toEqual(a.map((r) => r.id));
  a.forEach((ra, i) => {
    const rb = b[i]!;
    expect(Object.keys(rb.metrics).sort()).toEqual(Object.keys(ra.metrics).sort());
    for (const [name, va] of Object.entries(ra.metrics)) {
      const vb = rb.metrics[name]!;
      expect([vb.tag, vb.count]).toEqual([va.tag, va.count]);
      if (va.tag === PROTOCOL_TAGS.probabilityMagnitude) expect(vb.value).toBeCloseTo(va.value, 5);
      else expect(vb.value, `${ra.id} ${name}`).toBe(va.value);
    }
  });
}
