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

/** The config a data file belongs to: one per stage and format, since one config must have one set of
 * columns. Dots are not allowed in config names (the Hub reads them as path separators in some places). */
export function configName(file: Pick<ManifestFile, 'stage' | 'format'>): string {
  return `${file.stage}-${file.format}`.replace(/[^\w-]/g, '_');
}

/** The split a data file is within its config: its reasoning mode, plus the stage variant if it has one
 * (`cot_pre_scratchpad`). */
export function splitName(file: Pick<ManifestFile, 'mode' | 'variant'>): string {
  return [file.mode, file.variant]
    .filter((part): part is string => part !== null && part !== '')
    .join('_')
    .replace(/\W/g, '_');
}

/**
 * Groups the manifest's data files into configs, in the order the manifest lists them. `backdoor-messages`
 * is the default (the file most people fine-tune on first); without it, the first config is.
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
  const preferred = byName.get('backdoor-messages') ?? configs[0];
  if (preferred !== undefined) preferred.default = true;
  return configs;
}
