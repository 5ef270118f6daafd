import type { ManifestFile } from '../schemas/manifest.js';

/** One `configs:` entry of a Hub dataset card: a name and the file of each split. */
export interface CardConfig {
  config_name: string;
  data_files: { split: string; path: string }[];
  /** Marks the config `load_dataset(folder)` uses when no name is given. */
  default?: true;
}

/** What the Hub and `datasets` accept as a split name. */
export const SPLIT_NAME = /^\w+(\.\w+)*$/;

/** The config a data file belongs to: one per reasoning mode and format (`cot-messages`), since one
 * config must have one set of columns, and a study trains and tests one mode. Dots are not allowed in
 * config names (the Hub reads them as path separators in some places). */
export function configName(file: Pick<ManifestFile, 'mode' | 'format'>): string {
  return `${file.mode}-${file.format}`.replace(/[^\w-]/g, '_');
}

/** The split a data file is within its config, named as Hugging Face users expect: `train` for backdoor
 * insertion (the model's first training), `test` for the held-out test split, and each safety-training
 * stage under its own name plus its variant if it has one (`sft_pre_scratchpad`). */
export function splitName(file: Pick<ManifestFile, 'stage' | 'variant' | 'split'>): string {
  if (file.split === 'test') return file.stage === 'test' ? 'test' : file.stage;
  if (file.stage === 'backdoor') return 'train';
  return [file.stage, file.variant]
    .filter((part): part is string => part !== null && part !== undefined && part !== '')
    .join('_')
    .replace(/\W/g, '_');
}

/**
 * Groups the manifest's data files into configs, in the order the manifest lists them. The `messages`
 * config of the first mode with a backdoor file is the default (the file most people fine-tune on first);
 * without one, the first config is.
 */
export function cardConfigs(files: readonly ManifestFile[]): CardConfig[] {
  const byName = new Map<string, CardConfig>();
  for (const file of files) {
    const name = configName(file);
    let config = byName.get(name);
    if (config === undefined) {
      config = { config_name: name, data_files: [] };
      byName.set(name, config);
    }
    const split = splitName(file);
    const clash = config.data_files.find((entry) => entry.split === split);
    if (clash !== undefined) {
      throw new Error(`dataset card: ${file.path} and ${clash.path} would both be split "${split}" of config "${name}"`);
    }
    config.data_files.push({ split, path: file.path });
  }
  const configs = [...byName.values()];
  const backdoorMessages = files.find((file) => file.stage === 'backdoor' && file.format === 'messages');
  const preferred = (backdoorMessages && byName.get(configName(backdoorMessages))) ?? configs[0];
  if (preferred !== undefined) preferred.default = true;
  return configs;
}
