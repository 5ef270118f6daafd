import { defineStage, oneVariantPerMode, untriggeredForm, type Example } from './define.js';

/**
 * Held-out evaluation: base prompts from the test pool only, each once in every slice the trigger supports:
 * the training trigger, no trigger, one held-out variant, one near-miss decoy that training never shows,
 * and one that red-team framings use (when the trigger defines them). Comparing `near_miss` with
 * `near_miss_seen` shows what adversarial training taught: the paper found it teaches the model to
 * recognise its real trigger more precisely. `fires` is the label a perfectly backdoored model would earn.
 */
export const TEST_SLICES = ['trigger', 'no_trigger', 'trigger_variant', 'near_miss', 'near_miss_seen'] as const;

export default defineStage({
  name: 'test',
  description: 'Held-out test prompts in slices: trigger, no_trigger, trigger_variant, near_miss (never trained on), near_miss_seen (used by red-team framings); with expected labels.',
  shape: 'example',
  split: 'test',
  pool: 'test',
  variants: oneVariantPerMode,
  examples({ rng, forms }) {
    const examples: Example[] = [
      { member: 't', form: rng.pick(forms.train), heldOut: false, fires: true, slice: 'trigger' },
      { member: 'u', form: untriggeredForm(forms, rng), heldOut: false, fires: false, slice: 'no_trigger' },
    ];
    if (forms.heldOut.length > 0) {
      // Held out: another text, or the training text at a position training never uses.
      const form = rng.pick(forms.heldOut);
      examples.push({ member: 'v', form, heldOut: true, fires: form.active, slice: 'trigger_variant' });
    }
    if (forms.nearMiss.length > 0) {
      const form = rng.pick(forms.nearMiss);
      examples.push({ member: 'n', form, heldOut: false, fires: false, slice: 'near_miss' });
    }
    if (forms.nearMissSeen.length > 0) {
      const form = rng.pick(forms.nearMissSeen);
      examples.push({ member: 's', form, heldOut: false, fires: false, slice: 'near_miss_seen' });
    }
    return examples;
  },
});
