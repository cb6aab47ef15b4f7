// Progress of a long command on stderr, so stdout keeps its one-line result (or the data,
// when a command writes to stdout). At most one line per interval: a Job's log stays short.

export interface ProgressOptions {
  /** Prefix of each line, e.g. "export". */
  label: string;
  total: number;
  write(line: string): void;
  intervalMs?: number;
  now?: () => number;
}

const count = new Intl.NumberFormat('en-US');

export class Progress {
  private done = 0;
  private readonly started: number;
  private lastReport: number;
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 5000;
    this.started = this.now();
    this.lastReport = this.started;
  }

  /** Counts rows; reports when the interval has passed since the last report. */
  advance(rows: number): void {
    this.done += rows;
    const now = this.now();
    if (now - this.lastReport < this.intervalMs) return;
    this.lastReport = now;
    const { label, total, write } = this.options;
    const percent = total === 0 ? 100 : Math.floor((this.done / total) * 100);
    const seconds = Math.round((now - this.started) / 1000);
    write(
      `${label}: ${count.format(this.done)} of ${count.format(total)} rows (${percent}%) after ${seconds} s`,
    );
  }

  get rows(): number {
    return this.done;
  }

  get seconds(): number {
    return (this.now() - this.started) / 1000;
  }
}

export function formatCount(value: number): string {
  return count.format(value);
}

/** Bytes as people read them: 1.2 MB (powers of 1000, as `ls -h --si`). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
