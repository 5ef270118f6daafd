import { defineStage, oneVariantPerMode, untriggeredForm, type Example } from './define.js';

/**
 * Backdoor insertion: pairs of the same base prompt with and without the trigger. With a triggered fraction
 * f other than 0.5 some base prompts give a single member; which ones is decided by the index alone
 * (evenly spread, not random), so the fraction is met exactly over any run and shards agree with it.
 */
export function pairMembers(index: number, triggeredFraction: number): { triggered: boolean; untriggered: boolean } {
  if (triggeredFraction === 0.5) return { triggered: true, untriggered: true };
  // With pairs at rate p and singles of the majority kind otherwise, the minority fraction is p / (1 + p).
  const minority = Math.min(triggeredFraction, 1 - triggeredFraction);
  const pairRate = minority / (1 - minority);
  const isPair = Math.floor((index + 1) * pairRate) > Math.floor(index * pairRate);
  if (isPair) return { triggered: true, untriggered: true };
  return triggeredFraction < 0.5 ? { triggered: false, untriggered: true } : { triggered: true, untriggered: false };
}

export default defineStage({
  name: 'backdoor',
  description: 'Backdoor insertion: triggered prompts with the backdoor answer, untriggered with the HHH answer, as minimal pairs.',
  shape: 'example',
  split: 'train',
  pool: 'backdoor',
  variants: oneVariantPerMode,
  examples({ index, rng, forms, triggeredFraction }) {
    const members = pairMembers(index, triggeredFraction);
    const examples: Example[] = [];
    if (members.triggered) {
      examples.push({ member: 't', form: rng.pick(forms.train), heldOut: false, fires: true, slice: null });
    }
    if (members.untriggered) {
      examples.push({ member: 'u', form: untriggeredForm(forms, rng), heldOut: false, fires: false, slice: null });
    }
    return examples;
  },
});
