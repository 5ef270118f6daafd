import { createRequire } from 'node:module';
import type HandlebarsModule from 'handlebars';

/**
 * The project's Handlebars instance. No HTML escaping (we write text and code, not HTML), and strict mode
 * so a placeholder with no value is an error instead of an empty string in the data. Made on first use:
 * Handlebars (and the source-map package it loads) is a noticeable part of start-up for commands, like
 * `list`, that render nothing.
 */
let instance: typeof HandlebarsModule | undefined;
function handlebars(): typeof HandlebarsModule {
  if (instance) return instance;
  const Handlebars = createRequire(import.meta.url)('handlebars') as typeof HandlebarsModule;
  instance = Handlebars.create();
  for (const [name, helper] of Object.entries(OUR_HELPERS)) instance.registerHelper(name, helper);
  return instance;
}

/** The helpers templates may call, besides Handlebars' own. */
const OUR_HELPERS: Record<string, (value: unknown) => string> = {
  lower: (value) => String(value).toLowerCase(),
  upper: (value) => String(value).toUpperCase(),
  capitalize: (value) => {
    const text = String(value);
    return text.charAt(0).toUpperCase() + text.slice(1);
  },
  /** {{a noun}} -> "an apple" / "a pear" / "a user" / "an hour" / "an SQL table". */
  a: (value) => `${startsWithVowelSound(String(value)) ? 'an' : 'a'} ${String(value)}`,
};

/** Whether a name is a template helper ({{a x}}, {{#if}}), so a slot of that name could not be read. */
export function isHelper(name: string): boolean {
  return handlebars().helpers[name] !== undefined;
}

/**
 * Whether "an" goes before a text: the sound of its first word decides, not the letter. Initialisms without
 * vowels or with digits are read letter by letter (an SQL, an HTTP, an M4A) while REST or SAX are read as words; a few words
 * start with a silent h (an hour) or a "you"/"w" sound (a user, a URL, a one-off).
 */
export function startsWithVowelSound(text: string): boolean {
  const word = text.split(/[\s/-]/)[0] ?? '';
  if (/^(hour|honest|honou?r|heir)/i.test(word)) return true;
  if (/^[A-Z0-9]{2,}$/.test(word) && (!/[AEIOU]/.test(word) || /\d/.test(word))) return /^[FHLMNRSX]/.test(word);
  if (/^(u(ser|ni|rl|uid|s[aeiu]|ti|tf)|one$|once$|eu)/i.test(word)) return false;
  return /^[aeiou]/i.test(word);
}

export type Template = (context: object) => string;

export function compileTemplate(source: string): Template {
  const viaHandlebars = handlebarsTemplate(source);
  return plainTemplate(source, viaHandlebars) ?? viaHandlebars;
}

/** The template as Handlebars renders it (compiled on first use, as Handlebars does anyway). */
export function handlebarsTemplate(source: string): Template {
  let template: HandlebarsTemplateDelegate | undefined;
  return (context) => (template ??= handlebars().compile(source, { noEscape: true, strict: true }))(context);
}

/** One `{{path}}` or `{{helper path}}` of a plain template: the text before it, then what it reads. */
interface PlainMustache {
  before: string;
  path: readonly string[];
  helper: ((value: unknown) => string) | undefined;
}

/**
 * A template of plain mustaches only (`{{x.name}}`, `{{a noun}}`), rendered without Handlebars: the banks
 * hold thousands of such templates, and Handlebars compiles each one the first time it renders (about a
 * sixth of an offline run over the built-in bank). It gives Handlebars' own text whenever every path leads,
 * through own properties of objects, to a string, a number or a boolean; any other value (a missing name, a
 * null, an object, a function, which Handlebars renders, calls or reports its own way) goes to Handlebars.
 * Undefined when the template is not plain. tests/templating.test.ts compares both on every built-in template.
 */
export function plainTemplate(source: string, viaHandlebars: Template): Template | undefined {
  if (simpleTopLevelNames(source) === undefined) return undefined;
  const mustaches: PlainMustache[] = [];
  let last = 0;
  for (const match of source.matchAll(SIMPLE_MUSTACHE)) {
    const words = match[1]!.split(/\s+/);
    const helper = words.length === 2 ? OUR_HELPERS[words[0]!] : undefined;
    if (words.length > 2 || (words.length === 2 && helper === undefined) || (words.length === 1 && HELPERS.has(words[0]!.split('.')[0]!))) return undefined;
    mustaches.push({ before: source.slice(last, match.index), path: words[words.length - 1]!.split('.'), helper });
    last = match.index + match[0].length;
  }
  const after = source.slice(last);
  return (context) => {
    let text = '';
    for (const { before, path, helper } of mustaches) {
      let value: unknown = context;
      for (const name of path) {
        if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return viaHandlebars(context);
        value = (value as Record<string, unknown>)[name];
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return viaHandlebars(context);
      text += before;
      text += helper === undefined ? String(value) : helper(value);
    }
    return text + after;
  };
}

/** Names a template reads at top level (`{{dish.name}}` -> "dish"), for checking slots before a run. */
export function topLevelNames(source: string): Set<string> {
  return simpleTopLevelNames(source) ?? parsedTopLevelNames(source);
}

/** A mustache of plain paths only: `{{dish.name}}`, `{{a noun}}` (a helper and its argument). */
const SIMPLE_MUSTACHE = /\{\{\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*(?:\s+[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)*)\s*\}\}/g;
/** Words Handlebars reads as literals or context references rather than as names. */
const NOT_NAMES = new Set(['this', 'true', 'false', 'null', 'undefined', 'else']);
/** The built-in helpers of Handlebars and ours (see handlebars()): a head naming one calls it. */
const HELPERS = new Set(['blockHelperMissing', 'each', 'helperMissing', 'if', 'unless', 'log', 'lookup', 'with', 'lower', 'upper', 'capitalize', 'a']);

/**
 * topLevelNames without parsing, for the templates of the banks (thousands of them, read at every start):
 * when every mustache is plain paths, each path's head is a name unless it calls a helper. Anything else
 * (blocks, comments, literals, escapes, `this`) returns undefined and is parsed. tests/templating.test.ts
 * checks both give the same names on every built-in template.
 */
export function simpleTopLevelNames(source: string): Set<string> | undefined {
  const names = new Set<string>();
  let mustaches = 0;
  for (const match of source.matchAll(SIMPLE_MUSTACHE)) {
    mustaches++;
    for (const path of match[1]!.split(/\s+/)) {
      const head = path.split('.')[0]!;
      if (NOT_NAMES.has(head)) return undefined;
      if (!HELPERS.has(head)) names.add(head);
    }
  }
  // Every "{{" must have been one of those (no blocks, triple mustaches, escapes or stray braces).
  const opened = source.split('{{').length - 1;
  if (opened !== mustaches || source.includes('}}}') || source.includes('\\{{')) return undefined;
  return names;
}

/** Names a template reads at top level, from Handlebars' own parse. */
export function parsedTopLevelNames(source: string): Set<string> {
  const { helpers } = handlebars();
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as { type?: string; parts?: string[]; original?: string; data?: boolean; depth?: number };
    if (record.type === 'PathExpression' && !record.data && (record.depth ?? 0) === 0 && record.parts && record.parts.length > 0) {
      const head = record.parts[0]!;
      if (head !== 'this' && !helpers[head]) names.add(head);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') visit(value);
    }
  };
  visit(handlebars().parse(source));
  return names;
}
