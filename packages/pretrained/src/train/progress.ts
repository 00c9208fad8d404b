/** A one-line progress bar on stderr (redrawn in place on a TTY, a line every `every` calls otherwise). */
export class ProgressBar {
  private readonly started = Date.now();
  private calls = 0;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly every = 50,
    /** Work already done before this bar started (a resumed run): excluded from the rate behind the ETA. */
    private readonly startedAt = 0,
  ) {}

  update(done: number, fields: Record<string, string>): void {
    this.calls++;
    const tty = process.stderr.isTTY === true;
    if (!tty && this.calls % this.every !== 0 && done !== this.total) return;
    const fraction = Math.min(1, done / this.total);
    const width = 24;
    const filled = Math.round(fraction * width);
    const elapsed = (Date.now() - this.started) / 1000;
    const doneHere = done - this.startedAt;
    const eta = doneHere > 0 ? (elapsed / doneHere) * (this.total - done) : Number.NaN;
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k} ${v}`)
      .join('  ');
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total}  ${extra}  elapsed ${formatSeconds(elapsed)}  eta ${formatSeconds(eta)}`;
    if (tty) process.stderr.write(`\r${line}\u001b[K`);
    else process.stderr.write(`${line}\n`);
  }

  finish(): void {
    if (process.stderr.isTTY === true) process.stderr.write('\n');
  }
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}
