import { createRequire } from 'node:module';
import type { GenerateProgress } from '../pipeline/generate.js';

/**
 * Progress of `generate` on stderr: one redrawn line on a terminal, fitted to its width; a plain line every
 * few seconds otherwise (logs, CI); nothing with --quiet.
 */
export interface ProgressDisplay {
  update(progress: GenerateProgress): void;
  stop(): void;
}

/** Seconds before an ETA means anything: the first batches include start-up (loading banks, opening files). */
const ETA_AFTER_SECONDS = 2;
const BAR_MIN = 10;
const BAR_MAX = 30;

const compact = (value: number): string =>
  value >= 1e6 ? `${(value / 1e6).toFixed(1)}M` : value >= 1e4 ? `${Math.round(value / 1e3)}k` : value >= 1e3 ? `${(value / 1e3).toFixed(1)}k` : String(Math.round(value));

export function formatDuration(seconds: number): string {
  if (seconds < 0.5) return 'under 1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The ETA once it can be estimated (some work done, past the start-up), else undefined: never "0 s" at 0%. */
export function etaSeconds(done: number, total: number, seconds: number): number | undefined {
  if (done <= 0 || done >= total || seconds < ETA_AFTER_SECONDS) return undefined;
  return (seconds / done) * (total - done);
}

/**
 * One progress line no wider than `width` - 1 (a full-width line wraps on some terminals). What matters
 * most comes first and is dropped last: percentage, rate, ETA; then the bar, the counts and records per
 * stage when there is room.
 */
export function progressLine(progress: GenerateProgress, seconds: number, width: number): string {
  const { done, total, records, byStage } = progress;
  const room = Math.max(20, width - 1);
  const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
  const eta = etaSeconds(done, total, seconds);
  // Below 60 columns the word "generating" costs the ETA its place.
  const head = [`${room < 60 ? '' : 'generating '}${percent}%`, `${compact(records / Math.max(seconds, 1e-3))} records/s`, ...(eta === undefined ? [] : [`ETA ${formatDuration(eta)}`])];
  const counts = `${done}/${total} base prompts`;
  // Records, then each stage's count (as many as fit, in stage order): [separator, text].
  const rest: [string, string][] = [[' | ', `${records} records`], ...Object.entries(byStage).map(([stage, count], index): [string, string] => [index === 0 ? ' | ' : ' ', `${stage} ${count}`])];

  // Greedy by priority: the head, the base-prompt count, a bar (at its narrowest), then the rest; the bar
  // then widens into whatever room is left.
  let used = head[0]!.length;
  const taken = { head: [head[0]!], counts: [] as string[], bar: 0, rest: '' };
  const fits = (length: number) => used + 3 + length <= room;
  for (const part of head.slice(1)) if (fits(part.length)) (taken.head.push(part), (used += 3 + part.length));
  if (fits(counts.length)) (taken.counts.push(counts), (used += 3 + counts.length));
  if (used + 3 + BAR_MIN <= room) (taken.bar = BAR_MIN), (used += 3 + BAR_MIN);
  if (taken.counts.length > 0) {
    for (const [separator, part] of rest) {
      if (used + separator.length + part.length > room) break;
      taken.rest += `${separator}${part}`;
      used += separator.length + part.length;
    }
  }
  if (taken.bar > 0) taken.bar = Math.min(BAR_MAX, BAR_MIN + room - used);
  const filled = total === 0 ? taken.bar : Math.round((done / total) * taken.bar);
  const bar = taken.bar > 0 ? [`[${'='.repeat(filled)}${' '.repeat(taken.bar - filled)}]`] : [];
  const line = [taken.head.join(' | '), ...bar].join(' ') + taken.counts.map((part) => ` | ${part}`).join('') + taken.rest;
  return line.slice(0, room);
}

export function generateProgress(
  stream: NodeJS.WritableStream,
  options: { quiet: boolean; intervalMs?: number; now?: () => number },
): ProgressDisplay {
  if (options.quiet) return { update() {}, stop() {} };
  const now = options.now ?? (() => performance.now());
  const started = now();
  const elapsed = () => (now() - started) / 1000;
  const tty = stream as NodeJS.WriteStream;
  if (tty.isTTY) {
    // cli-progress redraws (throttled), hides the cursor and clears the line at the end; the text is ours.
    // Loaded here: a run that draws no bar (--quiet, output to a file or pipe) does not pay for it.
    const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
    let latest: GenerateProgress = { done: 0, total: 0, records: 0, byStage: {} };
    const bar = new cliProgress.SingleBar(
      {
        stream: tty,
        format: () => progressLine(latest, elapsed(), tty.columns || 80),
        hideCursor: true,
        clearOnComplete: true,
        linewrap: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let begun = false;
    return {
      update(progress) {
        latest = progress;
        if (!begun) {
          bar.start(progress.total, 0);
          begun = true;
        }
        bar.update(progress.done);
      },
      stop: () => bar.stop(),
    };
  }
  const interval = options.intervalMs ?? 5000;
  let last = started;
  return {
    update(progress) {
      const time = now();
      if (time - last < interval || progress.done === progress.total) return;
      last = time;
      stream.write(`  ${progressLine(progress, elapsed(), 200)}\n`);
    },
    stop() {},
  };
}
