import type { PromptSource } from '../behaviors/define.js';
import { packagePath } from '../util/package-root.js';
import { loadPromptBank, type PromptBank } from './bank.js';

/*
 * The shared HHH bank: everyday requests with helpful, honest, harmless answers (and refusals of harmful
 * requests, in the refusal-* topics), the untriggered side of every behaviour that answers plain prompts.
 * One copy of the data, whatever the behaviour: a behaviour only says what its triggered side looks like.
 */

export const hhhBankFolder = () => packagePath('templates', 'hhh');

const banks = new Map<string, PromptBank>();

/**
 * The bank, optionally without some topics (e.g. a refusal backdoor leaves out the topics whose HHH answers
 * are refusals, which its detector could not tell from the backdoor). Loading parses every topic file, so
 * each selection is loaded once per process.
 */
export function hhhBank(excludeTopics: readonly string[] = []): PromptBank {
  const key = [...excludeTopics].sort().join('\u0000');
  let bank = banks.get(key);
  if (bank === undefined) {
    const excluded = excludeTopics.map(globPattern);
    bank = loadPromptBank(hhhBankFolder(), excluded.length === 0 ? {} : { topics: (topic) => !excluded.some((pattern) => pattern.test(topic)) });
    banks.set(key, bank);
  }
  return bank;
}

/** A bank as a behaviour's built-in prompt source. */
export function bankSource(bank: PromptBank): PromptSource {
  return { name: 'builtin', size: bank.size, item: (k) => bank.item(k), units: bank.units, unitRanges: bank.unitRanges };
}

/** Topic names of the shared bank, for messages. */
export function hhhTopics(): string[] {
  return [...hhhBank().units.keys()];
}

/** "refusal-*" -> /^refusal-.*$/: topic names are [a-z0-9-], so `*` is the only special character. */
export function globPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
