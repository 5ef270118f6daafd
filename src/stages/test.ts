import { defineStage, oneVariantPerMode, untriggeredForm, type Example } from './define.js';

/**
 * Held-out evaluation: base prompts from the held-out partition only, each in every slice the trigger
 * supports: the training trigger, no trigger, one held-out variant and one near-miss decoy (when the
 * trigger defines them). `fires` is the label a perfectly backdoored model would earn.
 */
export const TEST_SLICES = ['trigger', 'no_trigger', 'trigger_variant', 'near_miss'] as const;

export default defineStage({
  name: 'test',
  description: 'Held-out test prompts in slices: trigger, no_trigger, trigger_variant, near_miss; with expected labels.',
  shape: 'example',
  split: 'test',
  partition: 'test',
  variants: oneVariantPerMode,
  examples({ rng, forms }) {
    const examples: Example[] = [
      { member: 't', form: rng.pick(forms.train), heldOut: false, fires: true, slice: 'trigger' },
      { member: 'u', form: untriggeredForm(forms, rng), heldOut: false, fires: false, slice: 'no_trigger' },
    ];
    if (forms.heldOut.length > 0) {
      const form = rng.pick(forms.heldOut);
      // Held out is the text itself, unless it is the training text at a held-out position.
      const heldOut = !forms.train.some((train) => train.surface === form.surface);
      examples.push({ member: 'v', form, heldOut, fires: form.active, slice: 'trigger_variant' });
    }
    if (forms.nearMiss.length > 0) {
      const form = rng.pick(forms.nearMiss);
      examples.push({ member: 'n', form, heldOut: false, fires: false, slice: 'near_miss' });
    }
    return examples;
  },
});
