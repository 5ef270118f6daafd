import cliProgress from 'cli-progress';
import type { GenerateProgress } from '../pipeline/generate.js';

/**
 * Progress of `generate` on stderr: a bar (cli-progress) with records, rate, ETA and records per stage on a
 * terminal; a plain line every few seconds otherwise (logs, CI); nothing with --quiet.
 */
export interface ProgressDisplay {
  update(progress: GenerateProgress): void;
  stop(): void;
}

const stagesText = (byStage: Record<string, number>) =>
  Object.entries(byStage)
    .map(([stage, count]) => `${stage} ${count}`)
    .join(' | ');

export function generateProgress(stream: NodeJS.WritableStream, options: { quiet: boolean; intervalMs?: number }): ProgressDisplay {
  if (options.quiet) return { update() {}, stop() {} };
  const started = performance.now();
  const rate = (records: number) => Math.round(records / Math.max((performance.now() - started) / 1000, 1e-3));
  if ((stream as NodeJS.WriteStream).isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: 'generating [{bar}] {percentage}% | {value}/{total} base prompts | {records} records, {rate}/s | ETA {eta_formatted} | {stages}',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let begun = false;
    return {
      update({ done, total, records, byStage }) {
        const payload = { records, rate: rate(records), stages: stagesText(byStage) };
        if (!begun) {
          bar.start(total, 0, payload);
          begun = true;
        }
        bar.update(done, payload);
      },
      stop: () => bar.stop(),
    };
  }
  const interval = options.intervalMs ?? 5000;
  let last = started;
  return {
    update({ done, total, records, byStage }) {
      const now = performance.now();
      if (now - last < interval || done === total) return;
      last = now;
      const seconds = (now - started) / 1000;
      const eta = done === 0 ? '?' : `${Math.round((seconds / done) * (total - done))} s`;
      stream.write(`  ${done}/${total} base prompts, ${records} records (${rate(records)}/s), ETA ${eta}: ${stagesText(byStage)}\n`);
    },
    stop() {},
  };
}
