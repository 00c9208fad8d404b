import type { MetricValue } from '@llmedit/evaluate';
import { describe, expect, it } from 'vitest';
import { serializeResults } from './main.js';
import { escapeHtml, renderHtml } from './report-html.js';
import type { BenchResults, EditRecord, PreRecord } from './results.js';
import {
  buildTables,
  formatCell,
  formatNumber,
  modelCaption,
  renderMarkdown,
  renderMarkdownTable,
  type Table,
  UNEDITED_ROW,
} from './tables.js';

const acc = (value: number): MetricValue => ({ value, tag: 'teacher-forced/token-accuracy', count: 1 });
const cmp = (value: number): MetricValue => ({ value, tag: 'probability/comparison', count: 1 });

/** Per method: reliability of its records (zsRE and CounterFact alike) and its ES. */
const METHODS = {
  'ft-l': { reliability: [0.5, 0.7], es: [1, 0], names: { survey: 'FT-L', rome: 'FT+L', time: 'FT' } },
  rome: { reliability: [1, 0.9], es: [1, 1], names: { survey: 'ROME', rome: 'ROME', time: 'ROME' } },
  kn: { reliability: [0.1, 0.1], es: [0, 0], names: { survey: 'KN', rome: 'KN', time: 'KN' } },
  'my-method': { reliability: [0.3, 0.3], es: [1, 1], names: {} },
} as const;

function fakeResults(): BenchResults {
  const records: EditRecord[] = [];
  const pre: PreRecord[] = [];
  for (const dataset of ['zsre', 'counterfact'] as const) {
    for (let index = 0; index < 2; index++) {
      pre.push({ dataset, index, id: String(index), metrics: { reliability: acc(0), ES: cmp(0) } });
      for (const [method, m] of Object.entries(METHODS)) {
        records.push({
          method,
          dataset,
          index,
          id: String(index),
          mode: 'single',
          step: 1,
          editMs: method === 'kn' ? 4000 : 500 + index * 100,
          peakBytes: 10 * 1024 * 1024,
          peakExtraBytes: 1024 * 1024,
          metrics: {
            reliability: acc(m.reliability[index]!),
            ...(dataset === 'counterfact'
              ? { ES: cmp(m.es[index]!), PS: cmp(m.es[index]!), NS: cmp(m.es[index]!) }
              : {}),
          },
        });
      }
    }
  }
  return {
    schema: 1,
    complete: true,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    wallMs: 60000,
    options: {
      methods: Object.keys(METHODS),
      datasets: ['zsre', 'counterfact'],
      n: 2,
      seed: 3,
      mode: 'single',
      smoke: false,
    },
    model: {
      name: 'micro',
      hash: 'abc',
      architecture: 'gpt2',
      numLayers: 2,
      hiddenSize: 32,
      vocabSize: 512,
      parameters: 1000,
    },
    evaluation: { zsre: {}, counterfact: {} },
    environment: {
      backend: { name: 'wasm', kernelFixes: true, simd: true },
      node: 'v20',
      platform: 'linux',
      cpus: 2,
      cpuModel: 'cpu',
      gitCommit: null,
      packages: {},
    },
    methods: Object.entries(METHODS).map(([id, m]) => ({ id, displayName: id, published: m.names })),
    runs: [
      {
        method: 'kn',
        dataset: 'zsre',
        status: 'done',
        requested: 2,
        edited: 2,
        failed: 0,
        wallMs: 1,
        prepare: { label: 'layer statistics', wallMs: 2500, cached: false },
      },
    ],
    pre,
    records,
  };
}

function table(tables: Table[], id: string): Table {
  const t = tables.find((x) => x.id === id);
  if (t === undefined) throw new Error(`no table ${id}`);
  return t;
}

describe('tables', () => {
  const results = fakeResults();
  const tables = buildTables(results);

  it('builds A (per data set), B1, B2 and C', () => {
    expect(tables.map((t) => t.id)).toEqual(['A-zsre', 'A-counterfact', 'B1', 'B2', 'C']);
  });

  it('puts our means (percent, with intervals) beside the published values', () => {
    const a = table(tables, 'A-zsre');
    const rel = a.columns.find((c) => c.key === 'reliability')!;
    expect(rel.ours.get('ft-l')!.mean).toBeCloseTo(60, 10);
    expect(rel.ours.get('ft-l')!.low).toBeGreaterThanOrEqual(50);
    expect(rel.ours.get('ft-l')!.high).toBeLessThanOrEqual(70);
    expect(rel.ours.get(UNEDITED_ROW)!.mean).toBe(0);
    const gptj = rel.published.find((p) => p.label === 'GPT-J')!;
    expect(gptj.values.get('ft-l')).toBe(54.7);
    expect(gptj.values.get('rome')).toBe(99.18);
    expect(gptj.values.has('my-method')).toBe(false);
    // T5-XL: ROME "fails" (printed '-').
    expect(rel.published.find((p) => p.label === 'T5-XL')!.values.get('rome')).toBeNull();
  });

  it('computes the rank agreement over the methods in both columns only', () => {
    const rel = table(tables, 'A-zsre').columns.find((c) => c.key === 'reliability')!;
    // Ours: rome 95 > ft-l 60 > kn 10; GPT-J: ROME 99.18 > FT-L 54.7 > KN 11.34.
    const gptj = rel.published.find((p) => p.label === 'GPT-J')!.agreement;
    expect(gptj.keys).toEqual(['ft-l', 'rome', 'kn']);
    expect(gptj.rho).toBeCloseTo(1, 12);
    expect(gptj.tauB).toBeCloseTo(1, 12);
    // T5-XL leaves ROME out (failed): ft-l 60 > kn 10 vs FT-L 20.71 < KN 22.51.
    const t5 = rel.published.find((p) => p.label === 'T5-XL')!.agreement;
    expect(t5.keys).toEqual(['ft-l', 'kn']);
    expect(t5.rho).toBeCloseTo(-1, 12);
    expect(t5.tauB).toBeCloseTo(-1, 12);
  });

  it("fills ROME's layout with its derived Score and the published unedited row", () => {
    const b1 = table(tables, 'B1');
    const es = b1.columns.find((c) => c.key === 'ES')!;
    expect(es.ours.get('ft-l')!.mean).toBeCloseTo(50, 10);
    expect(es.published.find((p) => p.label === 'GPT-2 XL')!.values.get(UNEDITED_ROW)).toBe(22.2);
    // Score = harmonic mean of ES, PS, NS: 100 for rome, 0 for kn.
    const score = b1.columns.find((c) => c.key === 'S')!;
    expect(score.ours.get('rome')!.mean).toBeCloseTo(100, 10);
    expect(score.ours.get('kn')!.mean).toBe(0);
  });

  it('reports seconds per edit, peak memory and one-time costs', () => {
    const c = table(tables, 'C');
    const cf = c.columns.find((x) => x.key === 'seconds-counterfact')!;
    expect(cf.ours.get('ft-l')!.mean).toBeCloseTo(0.55, 12);
    expect(cf.ours.get('kn')!.mean).toBe(4);
    expect(cf.published[0]!.values.get('rome')).toBe(14.72);
    // Published s/edit: FT 3.594 < ROME 14.72 < KN 22.543; ours: ft-l 0.55 = rome 0.55 < kn 4 (one tie):
    // tau-b = 2 concordant / sqrt((3 - 1) * 3).
    const agreement = cf.published[0]!.agreement;
    expect(agreement.keys).toEqual(['ft-l', 'rome', 'kn']);
    expect(agreement.tauB).toBeCloseTo(2 / Math.sqrt(6), 12);
    expect(c.columns.find((x) => x.key === 'peak')!.ours.get('rome')!.mean).toBe(10);
    expect(c.columns.find((x) => x.key === 'one-time')!.ours.get('kn')!.text).toBe(
      '2.5 s layer statistics (zsre)',
    );
    expect(c.columns.find((x) => x.key === 'one-time')!.ours.get('rome')!.text).toBe('none');
  });

  it('renders Markdown: header, one row per method, a rank-agreement row, published digits as printed', () => {
    const md = renderMarkdownTable(table(tables, 'A-zsre'));
    const lines = md.split('\n');
    expect(lines[0]).toBe(
      '| Method | Reliability | Reliability: GPT-J | Reliability: T5-XL | Generalization | Generalization: GPT-J | ' +
        'Generalization: T5-XL | Locality | Locality: GPT-J | Locality: T5-XL | Portability | Fluency |',
    );
    expect(lines[1]).toMatch(/^\|---\|(---:\|){11}$/);
    expect(lines).toHaveLength(2 + 5 + 1);
    expect(lines[3]).toMatch(/^\| ft-l \| 60\.0 \[\d+\.\d, \d+\.\d\] \| 54\.70 \| 20\.71 \|/);
    expect(lines.find((l) => l.startsWith('| rome '))).toContain('| 99.18 | — |');
    expect(lines[7]).toContain('ρ 1.00 · τb 1.00 (n=3)');
    expect(lines[7]).toContain('ρ -1.00 · τb -1.00 (n=2)');
  });

  it('renders the whole table.md and a self-contained HTML report with SVG charts', () => {
    const md = renderMarkdown(results, tables);
    for (const title of [
      'Table A (ZsRE)',
      'Table A (CounterFact)',
      'Table B1',
      'Table B2',
      'Table C',
      'Rank agreement',
    ])
      expect(md).toContain(title);
    expect(md).not.toContain('Partial results');
    expect(md).toContain('of each evaluation split)');
    expect(md).not.toContain('uncommitted');
    expect(renderMarkdown({ ...results, complete: false }, tables)).toContain('Partial results');
    // A tuning run and a run from a dirty checkout say so in the caption and the report.
    const tuning = {
      ...results,
      options: { ...results.options, split: 'train' as const },
      environment: { ...results.environment, gitCommit: 'a'.repeat(40), gitDirty: true },
    };
    const tuningMd = renderMarkdown(tuning, tables);
    expect(tuningMd).toContain('of each training split: a tuning run)');
    expect(tuningMd).toContain('`aaaaaaaaaaaa` with uncommitted changes');
    expect(renderHtml(tuning, tables)).toContain('(with uncommitted changes)');
    const html = renderHtml(results, tables);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(4);
    // Self-contained: no external scripts, styles or images.
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain('<th class="pub"');
  });

  it('describes the model actually benchmarked in table.md and report.html', () => {
    const withModel = (model: Partial<BenchResults['model']>) => ({
      ...results,
      model: { ...results.model, ...model },
    });
    const small = "a small model trained on the benchmark's own facts";
    expect(modelCaption(withModel({ name: 'default' }))).toContain(small);
    expect(modelCaption(results)).toContain('the micro test model');
    expect(modelCaption(results)).not.toContain(small);
    // A user's GPT-2 small folder: its path and shape, and that no preset matched it.
    const folder = withModel({
      name: '/models/gpt2',
      numLayers: 12,
      hiddenSize: 768,
      parameters: 124.44e6,
      preset: null,
    });
    const caption = modelCaption(folder);
    expect(caption).toContain(
      'the checkpoint in `/models/gpt2` (gpt2, 12 layers, hidden 768, 124.44 M parameters;',
    );
    expect(caption).toContain('matches no checkpoint with presets');
    expect(caption).not.toContain(small);
    expect(renderMarkdown(folder, tables)).toContain(caption);
    expect(renderHtml(folder, tables)).toContain(escapeHtml(caption));
    expect(renderHtml(folder, tables)).not.toContain(small);
    // A GPT-2 XL folder ran with GPT-2 XL's presets.
    expect(modelCaption(withModel({ name: '/models/gpt2-xl', numLayers: 48, preset: 'gpt2-xl' }))).toContain(
      'its config has the shape of gpt2-xl, whose presets',
    );
  });

  it('formats numbers without negative zero and escapes HTML', () => {
    expect(formatNumber(-0.04, 1)).toBe('0.0');
    expect(formatNumber(Number.NaN, 1)).toBe('n/a');
    expect(formatCell({ mean: 12.345, low: 10, high: 14.99 }, 1)).toBe('12.3 [10.0, 15.0]');
    expect(formatCell(undefined, 1)).toBe('');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('serializes results.json with one line per record and parses back to the same object', () => {
    const text = serializeResults(results);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(results)));
    const recordLines = text.split('\n').filter((l) => l.startsWith('    {"method"'));
    expect(recordLines).toHaveLength(results.records.length);
  });
});

describe("Table B3: ZsRE under ROME's protocol beside ROME Table 1", () => {
  const pooled = (value: number): MetricValue => ({
    value,
    tag: 'rome-zsre/pooled-token-accuracy',
    count: 3,
  });
  // Per method: efficacy, paraphrase, specificity of its two zsre-rome records.
  const values: Record<string, [number, number, number][]> = {
    'ft-l': [
      [1, 0.5, 0.2],
      [1, 0.5, 0.4],
    ],
    rome: [
      [1, 1, 0.3],
      [1, 0.5, 0.3],
    ],
    kn: [
      [0, 0, 0.3],
      [0, 0, 0.3],
    ],
    'my-method': [
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
    ],
  };
  const metricsOf = ([e, p, s]: [number, number, number]) => ({
    efficacy: pooled(e),
    paraphrase: pooled(p),
    specificity: pooled(s),
  });
  const base = fakeResults();
  const results: BenchResults = {
    ...base,
    options: { ...base.options, datasets: ['zsre', 'counterfact', 'zsre-rome'] },
    pre: [
      ...base.pre,
      { dataset: 'zsre-rome', index: 0, id: '0', metrics: metricsOf([0, 0, 0.3]) },
      { dataset: 'zsre-rome', index: 1, id: '1', metrics: metricsOf([0.5, 0, 0.3]) },
    ],
    records: [
      ...base.records,
      ...Object.entries(values).flatMap(([method, rows]) =>
        rows.map(
          (row, index): EditRecord => ({
            method,
            dataset: 'zsre-rome',
            index,
            id: String(index),
            mode: 'single',
            step: 1,
            editMs: 500,
            peakBytes: 1024,
            peakExtraBytes: 1024,
            metrics: metricsOf(row),
          }),
        ),
      ),
    ],
  };
  const tables = buildTables(results);

  it('adds B3 after B1/B2 and no Table A for zsre-rome', () => {
    expect(tables.map((t) => t.id)).toEqual(['A-zsre', 'A-counterfact', 'B1', 'B2', 'B3', 'C']);
  });

  it("puts our rows (unedited included) beside ROME's GPT-2 XL rows, matched by the ROME names", () => {
    const b3 = table(tables, 'B3');
    expect(b3.columns.map((c) => c.label)).toEqual(['Efficacy', 'Paraphrase', 'Specificity']);
    const [efficacy, paraphrase, specificity] = b3.columns;
    expect(efficacy!.ours.get(UNEDITED_ROW)!.mean).toBeCloseTo(25, 10);
    expect(paraphrase!.ours.get('rome')!.mean).toBeCloseTo(75, 10);
    expect(specificity!.ours.get('ft-l')!.mean).toBeCloseTo(30, 10);
    const gpt2xl = efficacy!.published[0]!;
    expect(gpt2xl.label).toBe('GPT-2 XL');
    expect(gpt2xl.citation).toMatch(/Table 1 \(zsRE, GPT-2 XL/);
    expect(Object.fromEntries(gpt2xl.values)).toEqual({ 'ft-l': 92.3, rome: 99.8, [UNEDITED_ROW]: 22.2 });
    // KN has a Table 4 row but none in Table 1; my-method has no ROME name.
    expect(paraphrase!.published[0]!.values.get('ft-l')).toBe(47.2);
    expect(specificity!.published[0]!.values.get('rome')).toBe(24.2);
    // Ours: rome 75 > ft-l 50 on paraphrase; ROME 88.1 > FT+L 47.2.
    expect(paraphrase!.published[0]!.agreement.keys).toEqual(['ft-l', 'rome']);
    expect(paraphrase!.published[0]!.agreement.rho).toBeCloseTo(1, 12);
  });

  it('renders B3 in table.md and report.html, and its seconds per edit in Table C', () => {
    const md = renderMarkdown(results, tables);
    expect(md).toContain("## Table B3 (ZsRE): ROME's zsRE protocol");
    expect(md).toContain('| Efficacy | Efficacy: GPT-2 XL |');
    expect(md).toContain('Meng et al. 2022, Locating and Editing Factual Associations in GPT, Table 1');
    expect(renderHtml(results, tables)).toContain('Table B3 (ZsRE): ROME&#39;s zsRE protocol');
    expect(table(tables, 'C').columns.map((c) => c.key)).toContain('seconds-zsre-rome');
  });
});
