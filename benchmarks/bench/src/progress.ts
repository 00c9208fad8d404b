import type { ProgressEvent } from './run.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (v: number) => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/**
 * One progress line: bar, count, percent, elapsed and ETA. The ETA extrapolates the time per edit so far
 * over the edits left (methods differ in cost, so it firms up as the run goes).
 */
export function progressLine(event: ProgressEvent, elapsedSeconds: number, width = 24): string {
  const fraction = event.total === 0 ? 1 : Math.min(1, event.done / event.total);
  const filled = Math.round(fraction * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  const eta = event.done === 0 ? Number.NaN : (elapsedSeconds / event.done) * (event.total - event.done);
  return (
    `[${bar}] ${event.done}/${event.total} ${(fraction * 100).toFixed(0).padStart(3)}% ` +
    `elapsed ${formatDuration(elapsedSeconds)} eta ${formatDuration(eta)}  ${event.phase}`
  );
}

export interface ProgressBar {
  update(event: ProgressEvent): void;
  /** Finish the line (a TTY bar is redrawn in place until then). */
  done(): void;
}

/**
 * A progress bar on a stream (stderr): redrawn in place on a terminal; on a pipe or CI log one line per
 * phase change or every `logEverySeconds`, so logs stay short.
 */
export function progressBar(
  stream: NodeJS.WriteStream = process.stderr,
  logEverySeconds = 15,
  now: () => number = () => performance.now() / 1000,
): ProgressBar {
  const start = now();
  let lastLog = -Infinity;
  let lastPhase = '';
  let drawn = false;
  return {
    update(event) {
      const t = now();
      const line = progressLine(event, t - start);
      if (stream.isTTY) {
        const columns = stream.columns ?? 120;
        stream.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
        drawn = true;
      } else if (event.phase !== lastPhase || t - lastLog >= logEverySeconds || event.done === event.total) {
        stream.write(`${line}\n`);
        lastLog = t;
      }
      lastPhase = event.phase;
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
