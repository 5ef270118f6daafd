/**
 * Progress on stderr: a redrawn bar with rate and ETA on a terminal, a plain line every few seconds when
 * stderr is a file or a CI log (where carriage returns make a mess). No dependency: it is forty lines.
 */
export interface ProgressReporter {
  /** Begins a phase; `total` may be unknown (requests streamed from an iterator). */
  start(label: string, total?: number): void;
  /** One item done; `cached` items are counted but left out of the rate (they take no time). */
  advance(options?: { cached?: boolean }): void;
  /** A line of its own (batch status, a warning), printed without breaking the bar. */
  note(message: string): void;
  finish(): void;
}

export const silentProgress: ProgressReporter = { start() {}, advance() {}, note() {}, finish() {} };

export interface ProgressOptions {
  /** Where to draw; default process.stderr. */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Force bar (true) or plain lines (false); default: the stream's isTTY. */
  tty?: boolean;
  /** Plain mode: how often to print a line. */
  intervalMs?: number;
  now?: () => number;
}

const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const intervalMs = options.intervalMs ?? (tty ? 100 : 10_000);
  const now = options.now ?? Date.now;
  let label = '';
  let total: number | undefined;
  let done = 0;
  let timed = 0; // non-cached items, for the rate
  let startedAt = 0;
  let lastDraw = 0;
  let drawn = false;

  const status = (): string => {
    const elapsed = Math.max(now() - startedAt, 1);
    const rate = (timed / elapsed) * 1000;
    const parts = [total === undefined ? `${done}` : `${done}/${total} ${Math.floor((100 * done) / Math.max(total, 1))}%`, `${rate.toFixed(1)}/s`];
    if (total !== undefined && done < total) parts.push(`ETA ${rate > 0 ? formatDuration(((total - done) / rate) * 1000) : '?'}`);
    else parts.push(`elapsed ${formatDuration(elapsed)}`);
    return parts.join(' · ');
  };
  const bar = (): string => {
    if (total === undefined || total === 0) return '';
    const width = 24;
    const filled = Math.round((width * done) / total);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] `;
  };
  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - lastDraw < intervalMs) return;
    lastDraw = t;
    if (tty) {
      stream.write(`\r\x1b[K${label} ${bar()}${status()}`);
      drawn = true;
    } else {
      stream.write(`${label}: ${status()}\n`);
    }
  };

  return {
    start(newLabel, newTotal) {
      label = newLabel;
      total = newTotal;
      done = 0;
      timed = 0;
      startedAt = now();
      lastDraw = tty ? 0 : startedAt; // plain mode: first line after one interval, not at once
      if (tty) draw(true);
    },
    advance(opts = {}) {
      done++;
      if (!opts.cached) timed++;
      draw(false);
    },
    note(message) {
      if (tty && drawn) stream.write('\r\x1b[K');
      stream.write(`${message}\n`);
      if (tty && drawn) draw(true);
    },
    finish() {
      draw(true);
      if (tty) stream.write('\n');
      drawn = false;
    },
  };
}
