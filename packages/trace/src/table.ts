import type { AverageTrace } from './average.js';
import { tokenLabel } from './svg.js';
import type { CausalTrace } from './trace.js';

function grid(rowLabels: readonly string[], values: readonly (readonly number[])[], digits: number): string {
  const width = Math.max(...rowLabels.map((l) => l.length), 5);
  const columns = values[0]?.length ?? 0;
  const cell = digits + 5;
  const header = `${' '.repeat(width)} ${Array.from({ length: columns }, (_, l) => `L${l}`.padStart(cell)).join('')}`;
  const lines = values.map(
    (row, r) =>
      `${(rowLabels[r] ?? '').padEnd(width)} ${row.map((v) => (Number.isFinite(v) ? v.toFixed(digits) : '-').padStart(cell)).join('')}`,
  );
  return [header, ...lines].join('\n');
}

/** A causal trace as a text table (tokens x layers; subject tokens marked '*'). */
export function formatTraceTable(trace: CausalTrace): string {
  const labels = trace.tokens.map((token, t) => {
    const label = tokenLabel(token);
    return t >= trace.subjectStart && t < trace.subjectEnd ? `${label}*` : label;
  });
  return [
    `${trace.kind} trace (window ${trace.window}) of "${trace.prompt}" -> ${JSON.stringify(trace.answer)}`,
    `p clean ${trace.cleanProbability.toFixed(4)}, p corrupted ${trace.corruptedProbability.toFixed(4)} ` +
      `(noise std ${trace.noise.toFixed(4)}, ${trace.samples} samples, seed ${trace.seed})`,
    grid(labels, trace.scores, 3),
  ].join('\n');
}

/** An averaged trace as a text table of average indirect effects (token groups x layers). */
export function formatAverageTable(average: AverageTrace): string {
  const values = average.indirectEffect.map((row, g) =>
    average.groupCounts[g] === 0 ? row.map(() => Number.NaN) : row,
  );
  return [
    `average ${average.kind} trace (window ${average.window}) over ${average.count} facts: average indirect effect`,
    `mean p clean ${average.meanClean.toFixed(4)}, corrupted ${average.meanCorrupted.toFixed(4)}, ` +
      `total effect ${average.totalEffect.toFixed(4)} (noise std ${average.noise.toFixed(4)}, ${average.samples} samples)`,
    grid(average.groups, values, 4),
    `peak: ${average.peak.group}, layer ${average.peak.layer} (AIE ${average.peak.indirectEffect.toFixed(4)})`,
  ].join('\n');
}
