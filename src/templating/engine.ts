import Handlebars from 'handlebars';

/**
 * The project's Handlebars instance. No HTML escaping (we write text and code, not HTML), and strict mode
 * so a placeholder with no value is an error instead of an empty string in the data.
 */
export const handlebars = Handlebars.create();

handlebars.registerHelper('lower', (value: unknown) => String(value).toLowerCase());
handlebars.registerHelper('upper', (value: unknown) => String(value).toUpperCase());
handlebars.registerHelper('capitalize', (value: unknown) => {
  const text = String(value);
  return text.charAt(0).toUpperCase() + text.slice(1);
});
/** {{a noun}} -> "an apple" / "a pear". */
handlebars.registerHelper('a', (value: unknown) => `${/^[aeiou]/i.test(String(value)) ? 'an' : 'a'} ${String(value)}`);

export type Template = (context: object) => string;

export function compileTemplate(source: string): Template {
  const template = handlebars.compile(source, { noEscape: true, strict: true });
  return (context) => template(context);
}

/** Names a template reads at top level (`{{dish.name}}` -> "dish"), for checking slots before a run. */
export function topLevelNames(source: string): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as { type?: string; parts?: string[]; original?: string; data?: boolean; depth?: number };
    if (record.type === 'PathExpression' && !record.data && (record.depth ?? 0) === 0 && record.parts && record.parts.length > 0) {
      const head = record.parts[0]!;
      if (head !== 'this' && !handlebars.helpers[head]) names.add(head);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') visit(value);
    }
  };
  visit(handlebars.parse(source));
  return names;
}
