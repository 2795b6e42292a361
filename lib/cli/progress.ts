// Progress of a long command on stderr: bytes moved, rate, and an ETA when the total is known.
// Shown on a terminal (or with --progress), redrawn in place; nothing at all otherwise, so
// scripts that read stderr see only what they would without it.

export interface ProgressOptions {
  /** Where to draw; a terminal redraws in place, anything else gets one line per update. */
  write: (s: string) => void;
  inPlace: boolean;
  /** Milliseconds between redraws. */
  intervalMs?: number;
  now?: () => number;
}

export interface Measure {
  bytes: number;
  requests: number;
}

const unit = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);

/** The line shown after `elapsedMs` with `done` of `total` bytes (total 0: not known). */
export function progressLine(label: string, m: Measure, total: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (m.bytes / elapsedMs) * 1000 : 0;
  const parts = [`${label}: ${unit(m.bytes)}${total > 0 ? ` of ${unit(total)} (${Math.min(100, Math.floor((m.bytes / total) * 100))}%)` : ''}`];
  parts.push(`${unit(rate)}/s`);
  // An estimate from the first second or the first percent is noise, not an ETA.
  if (total > 0 && rate > 0 && m.bytes < total && elapsedMs >= 1000 && m.bytes * 100 >= total) parts.push(`ETA ${Math.ceil((total - m.bytes) / rate)} s`);
  parts.push(`${m.requests} requests`);
  return parts.join(', ');
}

export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private readonly started: number;
  private readonly now: () => number;
  private lastLength = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly measure: () => Measure,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.timer = setInterval(() => this.draw(), options.intervalMs ?? 250);
    this.timer.unref();
  }

  private draw(): void {
    const line = progressLine(this.label, this.measure(), this.total, this.now() - this.started);
    if (this.options.inPlace) {
      this.options.write(`\r${line.padEnd(this.lastLength)}`);
      this.lastLength = line.length;
    } else {
      this.options.write(`${line}\n`);
    }
  }

  /** Stops redrawing and clears the line, leaving the terminal as it was. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    // A log (not a terminal) keeps the final figures; a terminal gets its line back.
    if (!this.options.inPlace) this.draw();
    else if (this.lastLength) this.options.write(`\r${' '.repeat(this.lastLength)}\r`);
  }
}
