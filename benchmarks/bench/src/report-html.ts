import { describeBackend } from '@llmedit/core';
import { encodePng, renderSceneImage } from '@llmedit/datasets';
import * as echarts from 'echarts';
import type { BenchResults } from './results.js';
import type { SequentialMetric, SequentialPoint } from './sequential.js';
import {
  agreementRows,
  buildTables,
  formatAgreement,
  formatCell,
  formatNumber,
  formatPublished,
  modelCaption,
  type Table,
  UNEDITED_ROW,
} from './tables.js';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The unedited model's bars. */
const UNEDITED_COLOUR = '#9e9e9e';
/** Tableau 10 without its grey: well-separated colours for the first eight methods. */
const BASE_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

function hslToHex(hue: number, saturation: number, lightness: number): string {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const value = lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/**
 * `count` distinct colours, one per method: the eight base colours, then hues a golden angle apart (each new
 * hue lands in the widest gap left) at alternating lightness, so that any number of methods gets its own
 * colour and never the unedited grey. Earlier methods keep their colour when more are added.
 */
export function methodPalette(count: number): string[] {
  const colours = BASE_COLOURS.slice(0, count);
  const used = new Set([UNEDITED_COLOUR, ...colours]);
  for (let i = 0; colours.length < count; i++) {
    const colour = hslToHex((15 + i * 137.508) % 360, 0.55, i % 2 === 0 ? 0.42 : 0.62);
    if (!used.has(colour)) {
      used.add(colour);
      colours.push(colour);
    }
  }
  return colours;
}

/** A colour per row: grey for the unedited model, the methods' palette in row order for the rest. */
function rowColours(rows: readonly { id: string }[]): string[] {
  const palette = methodPalette(rows.filter((r) => r.id !== UNEDITED_ROW).length);
  let next = 0;
  return rows.map((r) => (r.id === UNEDITED_ROW ? UNEDITED_COLOUR : (palette[next++] as string)));
}

/**
 * Render an ECharts option to a static SVG string (server-side rendering: no DOM, no canvas, no browser).
 * Animation is off so that the first frame is the final chart.
 */
export function renderChart(
  option: echarts.EChartsOption,
  width = 760,
  height = 340,
  colours: readonly string[] = methodPalette(BASE_COLOURS.length),
): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      color: [...colours],
      textStyle: { fontFamily: 'sans-serif' },
      ...option,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Grouped bars: one group per column of `table` (those in `columns`), one bar per row (method). */
export function tableChart(table: Table, columns: readonly string[], yName: string): string {
  const cols = table.columns.filter((c) => columns.includes(c.key));
  const rows = table.rows.filter((r) => cols.some((c) => c.ours.has(r.id)));
  return renderChart(
    {
      title: { text: table.title, left: 10, textStyle: { fontSize: 14 } },
      legend: sideLegend(rows.map((r) => r.label)),
      grid: { top: 64, left: 60, right: LEGEND_WIDTH, bottom: 40 },
      xAxis: { type: 'category', data: cols.map((c) => c.label) },
      yAxis: { type: 'value', name: yName },
      series: rows.map((r) => ({
        name: r.label,
        type: 'bar',
        data: cols.map((c) => {
          const v = c.ours.get(r.id)?.mean;
          return v === undefined ? null : Number(v.toFixed(3));
        }),
      })),
    },
    760,
    340,
    rowColours(rows),
  );
}

/** Room on the right of a chart for its legend. */
const LEGEND_WIDTH = 150;

/**
 * A vertical legend in the chart's right margin: it cannot run into the title or the plot, however many
 * methods a run has (a legend above the plot wrapped into the title once there were 14).
 */
function sideLegend(names: readonly string[]): echarts.LegendComponentOption {
  return {
    type: 'plain',
    orient: 'vertical',
    right: 8,
    top: 40,
    itemHeight: 10,
    itemGap: 6,
    textStyle: { fontSize: 11 },
    data: [...names],
  };
}

/**
 * Seconds per edit per method, one marker per data set on a log axis (methods differ by orders of
 * magnitude). Markers, not bars: a bar on a log axis grows from 1, so a fast method's bar hung downwards
 * and read as a negative time.
 */
export function costChart(table: Table): string {
  const cols = table.columns.filter((c) => c.key.startsWith('seconds-'));
  const rows = table.rows.filter((r) => cols.some((c) => c.ours.has(r.id)));
  return renderChart({
    title: { text: 'Seconds per edit', left: 10, textStyle: { fontSize: 14 } },
    legend: sideLegend(cols.map((c) => c.label)),
    grid: { top: 64, left: 60, right: LEGEND_WIDTH, bottom: 60 },
    xAxis: { type: 'category', data: rows.map((r) => r.label), axisLabel: { rotate: 30, fontSize: 10 } },
    yAxis: { type: 'log', name: 's/edit', logBase: 10 },
    series: cols.map((c) => ({
      name: c.label,
      type: 'scatter',
      symbolSize: 9,
      data: rows.map((r) => {
        const v = c.ours.get(r.id)?.mean;
        return v === undefined || v <= 0 ? null : Number(v.toPrecision(4));
      }),
    })),
  });
}

/** Table E's curves: one chart per metric (and seconds per edit), metric vs T on a log axis, a line per method. */
export function sequenceCharts(results: BenchResults): string[] {
  const sequential = results.sequential;
  if (sequential === undefined) return [];
  const runs = sequential.runs.filter((r) => r.points.length > 0);
  const colours = methodPalette(results.methods.length);
  const colourOf = (method: string) => colours[results.methods.findIndex((m) => m.id === method)] ?? '#000';
  const mean = (values: readonly number[] | undefined) => {
    const finite = (values ?? []).filter(Number.isFinite);
    return finite.length === 0 ? null : finite.reduce((a, b) => a + b, 0) / finite.length;
  };
  const chart = (title: string, yName: string, value: (p: SequentialPoint) => number | null, log = false) =>
    renderChart(
      {
        title: { text: title, left: 10, textStyle: { fontSize: 14 } },
        legend: sideLegend(runs.map((r) => r.method)),
        grid: { top: 64, left: 60, right: LEGEND_WIDTH, bottom: 45 },
        xAxis: { type: 'log', logBase: 10, name: 'T (edits)', nameLocation: 'middle', nameGap: 28 },
        yAxis: log
          ? { type: 'log', logBase: 10, name: yName }
          : { type: 'value', name: yName, min: 0, max: 100 },
        series: runs.map((run) => ({
          name: run.method,
          type: 'line',
          symbolSize: 6,
          data: run.points.map((p) => {
            const v = value(p);
            return [p.edits, v === null ? null : Number(v.toPrecision(4))];
          }),
        })),
      },
      560,
      320,
      runs.map((r) => colourOf(r.method)),
    );
  const percent = (metric: SequentialMetric) => (p: SequentialPoint) => {
    const m = mean(p.values[metric]);
    return m === null ? null : m * 100;
  };
  return [
    chart('Reliability of all T edits', '%', percent('reliability')),
    chart('Generalization of all T edits', '%', percent('generalization')),
    chart('Locality after T edits', '%', percent('locality')),
    chart('Seconds per edit (mean of T)', 's/edit', (p) => p.editMs.cumulative / 1000, true),
  ];
}

/** Spearman rho of every comparison with at least two methods in common. */
export function agreementChart(tables: readonly Table[]): string | undefined {
  const rows = agreementRows(tables).filter(
    (r) => r.agreement.keys.length >= 2 && Number.isFinite(r.agreement.rho),
  );
  if (rows.length === 0) return undefined;
  const labels = rows.map((r) => `${r.table.replace(/:.*/, '')} ${r.column} vs ${r.reference}`);
  return renderChart(
    {
      title: {
        text: 'Rank agreement with the published columns',
        left: 10,
        textStyle: { fontSize: 14 },
      },
      // Top right, on the title's line: the title ends well before it.
      legend: { top: 4, right: 10, data: ['Spearman ρ', 'Kendall τ-b'] },
      grid: { top: 60, left: 300, right: 30, bottom: 30 },
      xAxis: { type: 'value', min: -1, max: 1 },
      yAxis: { type: 'category', data: labels, inverse: true, axisLabel: { fontSize: 10 } },
      series: [
        { name: 'Spearman ρ', type: 'bar', data: rows.map((r) => Number(r.agreement.rho.toFixed(3))) },
        { name: 'Kendall τ-b', type: 'bar', data: rows.map((r) => Number(r.agreement.tauB.toFixed(3))) },
      ],
    },
    760,
    Math.max(200, 90 + rows.length * 26),
  );
}

function htmlTable(table: Table): string {
  const head: string[] = ['<th>Method</th>'];
  for (const c of table.columns) {
    head.push(`<th>${escapeHtml(c.label)}</th>`);
    for (const p of c.published)
      head.push(`<th class="pub" title="${escapeHtml(p.citation)}">${escapeHtml(p.label)}</th>`);
  }
  const body = table.rows.map((row) => {
    const cells = [`<th>${escapeHtml(row.label)}</th>`];
    for (const c of table.columns) {
      cells.push(`<td>${escapeHtml(formatCell(c.ours.get(row.id), c.digits))}</td>`);
      for (const p of c.published)
        cells.push(`<td class="pub">${escapeHtml(formatPublished(p.values.get(row.id), p.digits))}</td>`);
    }
    return `<tr${row.id === UNEDITED_ROW ? ' class="unedited"' : ''}>${cells.join('')}</tr>`;
  });
  if (table.columns.some((c) => c.published.length > 0)) {
    const cells = ['<th>rank agreement</th>'];
    for (const c of table.columns) {
      cells.push('<td></td>');
      for (const p of c.published)
        cells.push(`<td class="pub">${escapeHtml(formatAgreement(p.agreement))}</td>`);
    }
    body.push(`<tr class="agreement">${cells.join('')}</tr>`);
  }
  return `<table><thead><tr>${head.join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: right; white-space: nowrap; }
table.facts td { white-space: normal; overflow-wrap: anywhere; text-align: left; }
th:first-child { text-align: left; }
thead th { background: #f4f4f4; }
.pub { color: #666; background: #fafafa; }
tr.unedited { color: #777; font-style: italic; }
tr.agreement td { font-size: 11px; }
.caption { color: #444; font-size: 13px; max-width: 1000px; }
.scroll { overflow-x: auto; max-width: 100%; }
figure.grid { display: flex; flex-wrap: wrap; gap: 8px; }
.warn { background: #fff3cd; padding: 0.5em 1em; border: 1px solid #e0c36b; }
figure { margin: 1em 0; }
img.scene { image-rendering: pixelated; }
table.examples td, table.examples th { text-align: left; }
`;

/** A scene image as an inline PNG (the report stays one self-contained file). */
function sceneImageTag(id: string, label: string): string {
  const png = encodePng(renderSceneImage(id));
  return `<img class="scene" src="data:image/png;base64,${Buffer.from(png).toString('base64')}" alt="${escapeHtml(label)}" width="96" height="96">`;
}

/** Table D's example edits of one data set: the image, the prompt, the target and greedy answers before/after. */
function multimodalExamples(results: BenchResults, dataset: string): string {
  const runs = (results.multimodal?.runs ?? []).filter((r) => r.dataset === dataset && r.examples.length > 0);
  if (runs.length === 0) return '';
  const rows = runs.flatMap((run) =>
    run.examples.map(
      (e) =>
        `<tr><td>${escapeHtml(run.method)}</td><td>${sceneImageTag(e.image, e.image)}</td><td>${escapeHtml(e.prompt)}</td>` +
        `<td>${escapeHtml(e.target)}</td><td>${escapeHtml(e.before)}</td><td>${escapeHtml(e.after)}</td></tr>`,
    ),
  );
  return (
    '<figcaption>Example edits: the greedy answer of the VLM before and after each edit, as many tokens as the target.</figcaption>' +
    '<div class="scroll"><table class="examples"><tr><th>method</th><th>image</th><th>prompt</th><th>target</th><th>before</th><th>after</th></tr>' +
    `${rows.join('')}</table></div>`
  );
}

/** A self-contained HTML report: the tables, static SVG charts (ECharts server-side rendering) and the run's facts. */
export function renderHtml(results: BenchResults, tables: readonly Table[] = buildTables(results)): string {
  const o = results.options;
  const env = results.environment;
  const sections: string[] = [];
  for (const t of tables) {
    let chart = '';
    if (t.id.startsWith('A-'))
      chart = tableChart(t, ['reliability', 'generalization', 'locality', 'portability'], '%');
    else if (t.id === 'B1') chart = tableChart(t, ['S', 'ES', 'PS', 'NS'], '%');
    else if (t.id === 'B3') chart = tableChart(t, ['efficacy', 'paraphrase', 'specificity'], '%');
    else if (t.id === 'C') chart = costChart(t);
    else if (t.id.startsWith('D-')) chart = multimodalExamples(results, t.id.slice(2));
    else if (t.id === 'E-summary')
      chart = sequenceCharts(results)
        .map((svg) => `<div class="cell">${svg}</div>`)
        .join('');
    sections.push(
      `<h2>${escapeHtml(t.title)}</h2><p class="caption">${escapeHtml(t.caption)}</p>` +
        `<div class="scroll">${htmlTable(t)}</div>` +
        (chart === '' ? '' : `<figure${t.id === 'E-summary' ? ' class="grid"' : ''}>${chart}</figure>`),
    );
  }
  const agreement = agreementChart(tables);
  const failures = results.records.filter((r) => r.error !== undefined);
  const facts: [string, string][] = [
    [
      'Model',
      `${results.model.name} (${results.model.architecture}, ${results.model.numLayers} layers, hidden ${results.model.hiddenSize}, ${results.model.parameters} parameters)`,
    ],
    ['Model hash', results.model.hash],
    [
      'Records',
      o.datasets.length === 0
        ? `none edited one at a time (${[results.multimodal && 'Table D', results.sequential && 'Table E'].filter(Boolean).join(' and ')} only)`
        : `${o.n} per data set per method (${o.datasets.join(', ')})`,
    ],
    ['Mode / seed', `${o.mode} / ${o.seed}${o.smoke ? ' (smoke run)' : ''}`],
    ...(results.sequential === undefined
      ? []
      : [
          [
            'Table E',
            `${results.sequential.max} sequential ZsRE edits per method (${results.sequential.sources.eval} ` +
              `evaluation-split records, ${results.sequential.sources.train} training-split records), ` +
              `evaluated at T = ${results.sequential.checkpoints.join(', ')}`,
          ] as [string, string],
        ]),
    ...(results.multimodal === undefined
      ? []
      : [
          [
            'Table D',
            `${results.multimodal.n} E-VQA and E-IC records per multimodal method on ${results.multimodal.vlm.name} ` +
              `(${results.multimodal.vlm.hash}; language model ${results.multimodal.vlm.languageModel})`,
          ] as [string, string],
        ]),
    ['Backend', describeBackend(env.backend)],
    ['Machine', `${env.cpus} × ${env.cpuModel}, ${env.platform}, Node ${env.node}`],
    [
      'Commit',
      `${env.shardCommits === undefined ? (env.gitCommit ?? 'unknown') : `per shard: ${env.shardCommits.join(', ')}`}` +
        `${env.gitDirty === true ? ' (with uncommitted changes)' : ''}` +
        `${(results.resumed ?? []).map((r) => `; resumed at ${r.gitCommit ?? 'unknown'} (${r.startedAt})`).join('')}`,
    ],
    [
      'Packages',
      Object.entries(env.packages)
        .map(([k, v]) => `${k}@${v}`)
        .join(', '),
    ],
    [
      'Wall-clock',
      `${formatNumber(results.wallMs / 60000, 1)} min${
        o.jobs !== undefined
          ? `, ${o.jobs} jobs side by side`
          : results.mergedShards !== undefined
            ? `, summed over ${results.mergedShards} merged shards`
            : ''
      } (${results.startedAt} – ${results.finishedAt ?? 'running'})`,
    ],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llmedit benchmark</title><style>${STYLE}</style></head>
<body>
<h1>llmedit benchmark</h1>
${results.complete ? '' : '<p class="warn">Partial results: the run was interrupted before it finished.</p>'}
<table class="facts">${facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<p class="caption">${escapeHtml(modelCaption(results))} Grey columns are the published numbers (hover for the source); the last row of
each table gives Spearman ρ and Kendall τ-b between our column and the published one over the methods in both.</p>
${sections.join('\n')}
<h2>Rank agreement</h2>
${agreement === undefined ? '<p>Fewer than two methods in common with every published column.</p>' : `<figure>${agreement}</figure>`}
${failures.length === 0 ? '' : `<h2>Failed edits</h2><ul>${failures.map((f) => `<li>${escapeHtml(`${f.method} on ${f.dataset} record ${f.id}: ${f.error}`)}</li>`).join('')}</ul>`}
</body></html>
`;
}
