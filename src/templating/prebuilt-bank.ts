import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { packagePath, packageRoot } from '../util/package-root.js';
import type { CheckedFamily, FamilyOutline, FamilyTexts } from './bank.js';

/*
 * The package's own prompt bank (templates/hhh: over a megabyte of YAML, thousands of templates) read and
 * checked once, at build time: `npm run build` (scripts/build-banks.ts) writes PREBUILT_BANKS_FOLDER/<its
 * folder>.bank with the checked families and a fingerprint of every file of the folder. Reading and checking
 * the bank was the largest part of an offline run's start-up, and a small run draws from a few families:
 * the file opens with an outline of every family (what the bank's layout needs: ids, slot sizes, the slots
 * each phrasing shows), and each family's texts are read when the run first renders it.
 *
 * A run uses the file only if the folder's files are byte for byte the ones the build read; otherwise (a
 * file edited, added or removed since the build, no build) it reads and checks the folder as before, so a
 * stale or missing file changes no result, not even an error message. Hashing the bytes of every file on
 * each run cost a small run more than anything else the bank does, so a run first compares the files'
 * names, sizes and change times with the build's (bankStamp): when they are the same, no file was written
 * since, and only when they differ (a copy, a touch, an edit) are the bytes hashed and compared.
 *
 * Layout: line 1 is the outline (JSON, PrebuiltOutline); after it, each family's texts and each shared list
 * of slot values as JSON, at the byte offsets the outline gives (counted from the start of line 2). All of it
 * ASCII (JSON escapes), so a byte offset is a character offset and any slice decodes as Latin-1.
 */

/** Relative to the package root. */
export const PREBUILT_BANKS_FOLDER = 'dist/banks';

type SlotEntries = CheckedFamily['slots'][number][1];
/** Where a JSON text sits after the outline: [offset, length] in bytes. */
type Span = [offset: number, length: number];

interface PrebuiltOutline {
  fingerprint: string;
  /** bankStamp of the folder when the build read it. */
  stamp?: string;
  families: { outline: FamilyOutline; texts: Span }[];
  /** Lists of slot values used by several families (a word bank), stored once. */
  shared: Span[];
}

/** A family's texts as stored: a shared list of values named by its index in `shared`. */
interface StoredTexts {
  prompts: string[];
  answer: string;
  slots: [name: string, entries: SlotEntries | number][];
}

/** Where the build keeps a bank folder of the package, or undefined for a folder outside it. */
export function prebuiltBankPath(folder: string): string | undefined {
  const path = relative(packageRoot(), resolve(folder));
  if (path === '' || path.startsWith('..') || isAbsolute(path)) return undefined;
  return join(packagePath(PREBUILT_BANKS_FOLDER), `${path}.bank`);
}

/** A bank folder's YAML files (topic files and word banks) in a fixed order, as `part/name` and path; throws
 * when the folder cannot be read as a bank (word banks may be absent). */
function bankFiles(folder: string): { name: string; path: string }[] {
  const files: { name: string; path: string }[] = [];
  for (const part of ['prompts', 'words']) {
    let names: string[];
    try {
      names = readdirSync(join(folder, part));
    } catch (error) {
      if (part === 'words' && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const name of names.filter((entry) => /\.ya?ml$/.test(entry)).sort()) files.push({ name: `${part}/${name}`, path: join(folder, part, name) });
  }
  return files;
}

/**
 * A hash of every YAML file of a bank folder (topic files and word banks), names and bytes, or undefined
 * when the folder cannot be read as a bank (then it is checked, and its error reported, the usual way).
 */
export function bankFingerprint(folder: string): string | undefined {
  // sha1: a check for edits, not against forgery, and the fastest of Node's hashes here.
  const hash = createHash('sha1');
  try {
    for (const { name, path } of bankFiles(folder)) {
      hash.update(`${name}\u0000`);
      hash.update(readFileSync(path));
      hash.update('\u0000');
    }
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

/** Each file's name, size and modification and change times (ns): any write to a file, or a file added or
 * removed, changes it. Undefined when the folder cannot be read. */
export function bankStamp(folder: string): string | undefined {
  try {
    return bankFiles(folder)
      .map(({ name, path }) => {
        const stats = statSync(path, { bigint: true });
        return `${name}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
      })
      .join('\n');
  } catch {
    return undefined;
  }
}

/** JSON of ASCII characters only. */
const asciiJson = (value: unknown): string => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The outline of a checked family. */
export function outlineOf(family: CheckedFamily): FamilyOutline {
  const slotNames = family.slots.map(([name]) => name);
  return {
    id: family.id,
    topic: family.topic,
    slotNames,
    slotSizes: family.slots.map(([, entries]) => entries.length),
    shown: family.promptSlotNames.map((names) => slotNames.flatMap((name, i) => (names.includes(name) ? [i] : []))),
  };
}

/** The file's text for checked families. */
export function prebuiltBankText(fingerprint: string, families: readonly CheckedFamily[], stamp?: string): string {
  const uses = new Map<SlotEntries, number>();
  for (const family of families) for (const [, entries] of family.slots) uses.set(entries, (uses.get(entries) ?? 0) + 1);
  const sharedLists = [...uses].filter(([, count]) => count > 1).map(([entries]) => entries);
  const sharedIndex = new Map(sharedLists.map((entries, i) => [entries, i]));
  const texts: string[] = [];
  let offset = 0;
  const place = (json: string): Span => {
    texts.push(json);
    offset += json.length;
    return [offset - json.length, json.length];
  };
  const shared = sharedLists.map((entries) => place(asciiJson(entries)));
  const outline: PrebuiltOutline = {
    fingerprint,
    ...(stamp !== undefined ? { stamp } : {}),
    shared,
    families: families.map((family) => {
      const stored: StoredTexts = { prompts: family.prompts, answer: family.answer, slots: family.slots.map(([name, entries]) => [name, sharedIndex.get(entries) ?? entries]) };
      return { outline: outlineOf(family), texts: place(asciiJson(stored)) };
    }),
  };
  return `${asciiJson(outline)}\n${texts.join('')}`;
}

/** The stored families of a bank folder of the package, if its files are the ones the build read: each
 * family's outline, and its texts read on demand. */
export function prebuiltFamilies(folder: string): { outlines: FamilyOutline[]; texts: (index: number) => FamilyTexts } | undefined {
  const path = prebuiltBankPath(folder);
  if (path === undefined) return undefined;
  let outline: PrebuiltOutline;
  let start: number;
  try {
    const firstLine = readFirstLine(path);
    outline = JSON.parse(firstLine) as PrebuiltOutline;
    start = firstLine.length + 1;
  } catch {
    return undefined;
  }
  const unchanged = outline.stamp !== undefined && outline.stamp === bankStamp(folder);
  if (!unchanged && outline.fingerprint !== bankFingerprint(folder)) return undefined;
  const read = (span: Span): unknown => JSON.parse(readSpan(path, start + span[0], span[1]));
  const shared = new Map<number, SlotEntries>();
  const sharedList = (index: number) => {
    let entries = shared.get(index);
    if (entries === undefined) shared.set(index, (entries = read(outline.shared[index]!) as SlotEntries));
    return entries;
  };
  return {
    outlines: outline.families.map((family) => family.outline),
    texts: (index) => {
      const stored = read(outline.families[index]!.texts) as StoredTexts;
      return { ...stored, slots: stored.slots.map(([name, entries]) => [name, typeof entries === 'number' ? sharedList(entries) : entries]) };
    },
  };
}

/** The file's first line (without its newline), read in chunks: the outline, not the texts after it. */
function readFirstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (let position = 0; ; ) {
      const chunk = Buffer.allocUnsafe(1 << 16);
      const bytes = readSync(fd, chunk, 0, chunk.length, position);
      const end = chunk.subarray(0, bytes).indexOf(10);
      if (end >= 0 || bytes === 0) {
        chunks.push(chunk.subarray(0, end >= 0 ? end : bytes));
        if (end < 0) throw new Error(`${path}: no outline line`);
        return Buffer.concat(chunks).toString('latin1');
      }
      chunks.push(chunk.subarray(0, bytes));
      position += bytes;
    }
  } finally {
    closeSync(fd);
  }
}

function readSpan(path: string, position: number, length: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const bytes = readSync(fd, buffer, done, length - done, position + done);
      if (bytes === 0) throw new Error(`${path}: shorter than its outline says`);
      done += bytes;
    }
    return buffer.toString('latin1');
  } finally {
    closeSync(fd);
  }
}
