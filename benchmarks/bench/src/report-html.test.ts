import { describe, expect, it } from 'vitest';
import { methodPalette, tableChart } from './report-html.js';
import { type Table, UNEDITED_ROW } from './tables.js';

function table(methods: number): Table {
  const rows = [
    { id: UNEDITED_ROW, label: '(unedited)' },
    ...Array.from({ length: methods }, (_, i) => ({ id: `m${i}`, label: `method ${i}` })),
  ];
  const ours = new Map(rows.map((r, i) => [r.id, { mean: 10 + i, low: 9 + i, high: 11 + i }]));
  return {
    id: 'a',
    title: 'Table A',
    caption: '',
    rows,
    columns: [{ key: 'reliability', label: 'Reliability', digits: 1, ours, published: [] }],
  };
}

describe('the report palette', () => {
  it('gives any number of methods distinct colours, none of them the unedited grey', () => {
    for (const count of [0, 1, 8, 9, 24, 60]) {
      const palette = methodPalette(count);
      expect(palette).toHaveLength(count);
      expect(new Set(palette).size).toBe(count);
      expect(palette).not.toContain('#9e9e9e');
      for (const colour of palette) expect(colour).toMatch(/^#[0-9a-f]{6}$/);
    }
    // Adding methods keeps the earlier ones' colours.
    expect(methodPalette(20).slice(0, 12)).toEqual(methodPalette(12));
  });

  it('draws each of 14 methods in its own colour and the unedited model in grey', () => {
    const svg = tableChart(table(14), ['reliability'], '%');
    const fills = new Set(
      [...svg.matchAll(/fill="(#[0-9a-f]{6}|rgb\([^)]*\))"/gi)].map((m) => m[1]?.toLowerCase()),
    );
    for (const colour of methodPalette(14)) expect(fills).toContain(colour);
    expect(fills).toContain('#9e9e9e');
  });
});
