import type { AverageTrace } from './average.js';
import type { CausalTrace, TraceKind } from './trace.js';

/** Colour scales like the ROME figures' (matplotlib Purples, Greens, Reds), light to dark. */
const PALETTES = {
  purple: ['#fcfbfd', '#9e9ac8', '#3f007d'],
  green: ['#f7fcf5', '#74c476', '#00441b'],
  red: ['#fff5f0', '#fb6a4a', '#67000d'],
} as const;

export type Palette = keyof typeof PALETTES;

const KIND_PALETTE: Readonly<Record<TraceKind, Palette>> = { residual: 'purple', mlp: 'green', attn: 'red' };
const KIND_NAME: Readonly<Record<TraceKind, string>> = { residual: 'state', mlp: 'MLP', attn: 'Attn' };

/** A heatmap: rows on the y axis (top to bottom), columns on the x axis. */
export interface HeatmapSpec {
  title: string;
  /** A second title line (smaller). */
  subtitle?: string;
  rowLabels: readonly string[];
  /** Rows drawn in bold with a trailing '*' (the corrupted subject tokens). */
  highlightRows?: readonly number[];
  columnLabels: readonly string[];
  /** values[row][column]. */
  values: readonly (readonly number[])[];
  xLabel: string;
  /** Label of the colour bar. */
  legendLabel: string;
  palette?: Palette;
  /** Colour-scale ends; default the values' min and max. */
  min?: number;
  max?: number;
}

/** Escape text for SVG content and attribute values; characters XML 1.0 forbids are dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A token as a readable label: whitespace made visible where it is all there is, otherwise trimmed. */
export function tokenLabel(token: string): string {
  const visible = token.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  const trimmed = visible.trim();
  return trimmed === '' ? JSON.stringify(token) : trimmed;
}

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Colour of `t` in [0, 1] on a palette (piecewise linear in RGB between its stops). */
export function paletteColour(palette: Palette, t: number): string {
  const stops = PALETTES[palette];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const a = hexToRgb(stops[i] as string);
  const b = hexToRgb(stops[i + 1] as string);
  const f = x - i;
  const channel = (k: number) =>
    Math.round((a[k] as number) + ((b[k] as number) - (a[k] as number)) * f)
      .toString(16)
      .padStart(2, '0');
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

/** Numbers for tick labels: 3 significant digits, no exponent for the usual range. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e-5 && abs < 1e4) return Number(value.toPrecision(3)).toString();
  return value.toExponential(2);
}

const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/**
 * Render a heatmap as a self-contained SVG string (no dependency, no script): a `<title>` naming the figure,
 * one cell per value with a tooltip, row labels on the left (highlighted rows bold with '*'), column labels below, a vertical colour
 * bar with its scale on the right.
 */
export function renderHeatmapSvg(spec: HeatmapSpec): string {
  const rows = spec.rowLabels.length;
  const columns = spec.columnLabels.length;
  const palette = spec.palette ?? 'purple';
  const flat = spec.values.flat().filter(Number.isFinite);
  const min = spec.min ?? (flat.length === 0 ? 0 : Math.min(...flat));
  let max = spec.max ?? (flat.length === 0 ? 1 : Math.max(...flat));
  if (!(max > min)) max = min + 1e-9;
  const highlighted = new Set(spec.highlightRows ?? []);
  const labels = spec.rowLabels.map((label, r) => (highlighted.has(r) ? `${label}*` : label));

  const cellWidth = Math.max(14, Math.min(48, Math.floor(480 / Math.max(1, columns))));
  const cellHeight = 22;
  const labelWidth = Math.max(40, ...labels.map((l) => 7 * l.length + 12));
  const top = spec.subtitle === undefined ? 42 : 58;
  const left = labelWidth;
  const gridWidth = cellWidth * columns;
  const gridHeight = cellHeight * rows;
  const barLeft = left + gridWidth + 24;
  const barWidth = 14;
  const legendWidth = 90;
  // Text widths are estimated (no font metrics in a string renderer): about 8.5 px per bold 14 px character.
  const width = Math.ceil(
    Math.max(
      barLeft + barWidth + legendWidth,
      20 + 8.5 * spec.title.length,
      20 + 6.2 * (spec.subtitle?.length ?? 0),
    ),
  );
  const height = top + gridHeight + 56;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  );
  // The title first: the accessible name of the figure (and what SVG linters such as biome's a11y rules require).
  const name = spec.subtitle === undefined ? spec.title : `${spec.title}: ${spec.subtitle}`;
  out.push(`<title>${escapeXml(name)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="10" y="20" ${FONT} font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  if (spec.subtitle !== undefined) {
    out.push(`<text x="10" y="38" ${FONT} font-size="11" fill="#444444">${escapeXml(spec.subtitle)}</text>`);
  }
  out.push(`<g class="cells">`);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const value = spec.values[r]?.[c] ?? Number.NaN;
      const colour = Number.isFinite(value) ? paletteColour(palette, (value - min) / (max - min)) : '#dddddd';
      const tip = `${spec.rowLabels[r] ?? ''} / ${spec.columnLabels[c] ?? ''}: ${Number.isFinite(value) ? value.toPrecision(4) : 'n/a'}`;
      out.push(
        `<rect x="${left + c * cellWidth}" y="${top + r * cellHeight}" width="${cellWidth}" height="${cellHeight}" fill="${colour}"><title>${escapeXml(tip)}</title></rect>`,
      );
    }
  }
  out.push('</g>');
  out.push(
    `<rect x="${left}" y="${top}" width="${gridWidth}" height="${gridHeight}" fill="none" stroke="#333333" stroke-width="0.8"/>`,
  );
  out.push(`<g class="row-labels" ${FONT} font-size="12" text-anchor="end">`);
  labels.forEach((label, r) => {
    const weight = highlighted.has(r) ? ' font-weight="bold"' : '';
    out.push(
      `<text x="${left - 6}" y="${top + r * cellHeight + cellHeight / 2 + 4}"${weight}>${escapeXml(label)}</text>`,
    );
  });
  out.push('</g>');
  // Column labels: all when they fit, otherwise every k-th.
  const every = Math.max(1, Math.ceil(24 / cellWidth));
  out.push(`<g class="column-labels" ${FONT} font-size="11" text-anchor="middle">`);
  spec.columnLabels.forEach((label, c) => {
    if (c % every !== 0 && c !== columns - 1) return;
    out.push(
      `<text x="${left + c * cellWidth + cellWidth / 2}" y="${top + gridHeight + 15}">${escapeXml(label)}</text>`,
    );
  });
  out.push('</g>');
  out.push(
    `<text x="${left + gridWidth / 2}" y="${top + gridHeight + 36}" ${FONT} font-size="12" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
  );
  // Colour bar: a vertical gradient, max at the top.
  const stops = PALETTES[palette];
  out.push(`<defs><linearGradient id="scale-${palette}" x1="0" y1="1" x2="0" y2="0">`);
  stops.forEach((stop, i) => {
    out.push(`<stop offset="${i / (stops.length - 1)}" stop-color="${stop}"/>`);
  });
  out.push('</linearGradient></defs>');
  out.push(
    `<rect x="${barLeft}" y="${top}" width="${barWidth}" height="${gridHeight}" fill="url(#scale-${palette})" stroke="#333333" stroke-width="0.8"/>`,
  );
  out.push(`<g class="legend" ${FONT} font-size="11">`);
  for (const [fraction, value] of [
    [0, max],
    [0.5, (min + max) / 2],
    [1, min],
  ] as const) {
    const y = top + fraction * gridHeight;
    out.push(
      `<line x1="${barLeft + barWidth}" y1="${y}" x2="${barLeft + barWidth + 4}" y2="${y}" stroke="#333333"/>`,
    );
    out.push(`<text x="${barLeft + barWidth + 7}" y="${y + 4}">${escapeXml(formatTick(value))}</text>`);
  }
  out.push(
    `<text x="${barLeft}" y="${top + gridHeight + 15}" font-size="11">${escapeXml(spec.legendLabel)}</text>`,
  );
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function layerLabels(n: number): string[] {
  return Array.from({ length: n }, (_, l) => String(l));
}

function xLabelFor(kind: TraceKind, window: number): string {
  if (kind === 'residual' || window === 1) {
    return kind === 'residual' ? 'single restored layer' : `single restored ${KIND_NAME[kind]} layer`;
  }
  return `center of interval of ${window} restored ${KIND_NAME[kind]} layers`;
}

/**
 * One causal trace as ROME draws it: tokens top to bottom (subject tokens marked '*'), layers left to right,
 * the colour scale from the corrupted run's probability to the largest recovered one.
 */
export function renderTraceSvg(trace: CausalTrace, options: { title?: string } = {}): string {
  const highlightRows: number[] = [];
  for (let t = trace.subjectStart; t < trace.subjectEnd; t++) highlightRows.push(t);
  const max = Math.max(trace.cleanProbability, ...trace.scores.flat());
  return renderHeatmapSvg({
    title: options.title ?? `Impact of restoring ${KIND_NAME[trace.kind]} after corrupted input`,
    subtitle:
      `${trace.prompt} → ${tokenLabel(trace.answer)}: p clean ${formatTick(trace.cleanProbability)}, ` +
      `corrupted ${formatTick(trace.corruptedProbability)} (noise ${formatTick(trace.noise)}, ${trace.samples} samples)`,
    rowLabels: trace.tokens.map(tokenLabel),
    highlightRows,
    columnLabels: layerLabels(trace.scores[0]?.length ?? 0),
    values: trace.scores,
    xLabel: xLabelFor(trace.kind, trace.window),
    legendLabel: `p(${tokenLabel(trace.answer)})`,
    palette: KIND_PALETTE[trace.kind],
    min: trace.corruptedProbability,
    max,
  });
}

/** An averaged trace (ROME figure 2): token groups top to bottom, layers left to right, colour = average indirect effect. */
export function renderAverageTraceSvg(average: AverageTrace, options: { title?: string } = {}): string {
  const highlightRows = average.groups.flatMap((g, i) => (g.includes('subject token') ? [i] : []));
  const values = average.indirectEffect.map((row, g) =>
    average.groupCounts[g] === 0 ? row.map(() => Number.NaN) : row,
  );
  return renderHeatmapSvg({
    title:
      options.title ?? `Average indirect effect of ${KIND_NAME[average.kind]} over ${average.count} prompts`,
    subtitle:
      `mean p clean ${formatTick(average.meanClean)}, corrupted ${formatTick(average.meanCorrupted)} ` +
      `(total effect ${formatTick(average.totalEffect)}); noise ${formatTick(average.noise)}, ${average.samples} samples`,
    rowLabels: [...average.groups],
    highlightRows,
    columnLabels: layerLabels(average.indirectEffect[0]?.length ?? 0),
    values,
    xLabel: xLabelFor(average.kind, average.window),
    legendLabel: 'AIE',
    palette: KIND_PALETTE[average.kind],
    min: Math.min(0, ...values.flat().filter(Number.isFinite)),
  });
}
