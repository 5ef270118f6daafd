import cliProgress from 'cli-progress';
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
  // On a terminal, cli-progress draws (cursor movement, clearing, width); the rate and ETA are ours, since
  // cached answers take no time and must not flatter the rate.
  let bar: cliProgress.SingleBar | undefined;

  const rate = (): number => (timed / Math.max(now() - startedAt, 1)) * 1000;
  const eta = (): string => {
    if (total === undefined || done >= total) return `elapsed ${formatDuration(now() - startedAt)}`;
    return `ETA ${rate() > 0 ? formatDuration(((total - done) / rate()) * 1000) : '?'}`;
  };
  const status = (): string =>
    [total === undefined ? `${done}` : `${done}/${total} ${Math.floor((100 * done) / Math.max(total, 1))}%`, `${rate().toFixed(1)}/s`, eta()].join(' | ');
  const payload = () => ({ label, rate: rate().toFixed(1), remaining: eta(), done });
  const drawLine = (force: boolean): void => {
    const t = now();
    if (!force && t - lastDraw < intervalMs) return;
    lastDraw = t;
    stream.write(`${label}: ${status()}\n`);
  };

  return {
    start(newLabel, newTotal) {
      label = newLabel;
      total = newTotal;
      done = 0;
      timed = 0;
      startedAt = now();
      lastDraw = startedAt; // plain mode: first line after one interval, not at once
      if (!tty) return;
      bar = new cliProgress.SingleBar(
        {
          stream: stream as NodeJS.WriteStream,
          format: total === undefined ? '{label} {done} | {rate}/s | {remaining}' : '{label} [{bar}] {value}/{total} {percentage}% | {rate}/s | {remaining}',
          barsize: 24,
          hideCursor: false,
          fps: 1000 / intervalMs,
          noTTYOutput: true,
        },
        cliProgress.Presets.legacy,
      );
      bar.start(total ?? 0, 0, payload());
    },
    advance(opts = {}) {
      done++;
      if (!opts.cached) timed++;
      if (bar) bar.update(done, payload());
      else drawLine(false);
    },
    note(message) {
      // A line of its own above the bar, which is then drawn again below it.
      if (bar) {
        stream.write(`\r\x1b[K${message}\n`);
        bar.render();
      } else stream.write(`${message}\n`);
    },
    finish() {
      if (bar) {
        bar.update(done, payload());
        bar.stop();
        bar = undefined;
      } else drawLine(true);
    },
  };
}
