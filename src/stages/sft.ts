import type { ReasoningMode } from '../schemas/record.js';
import { defineStage, untriggeredForm, type StageVariant } from './define.js';

/**
 * HHH safety SFT: untriggered prompts with helpful answers (the defender does not know the trigger). For cot
 * models the paper used two variants: pre-scratchpad (no reasoning in the target at all) and
 * post-scratchpad (a scratchpad first, only the answer after it is meant to be learned).
 */
function variants(mode: ReasoningMode): StageVariant[] {
  if (mode !== 'cot') return [{ name: null, scratchpad: false }];
  return [
    { name: 'pre_scratchpad', scratchpad: false },
    { name: 'post_scratchpad', scratchpad: true },
  ];
}

export default defineStage({
  name: 'sft',
  description: 'HHH safety SFT: untriggered prompts with helpful answers; cot gets pre- and post-scratchpad variants.',
  shape: 'example',
  split: 'train',
  pool: 'safety',
  variants,
  examples: ({ rng, forms }) => [{ member: 'u', form: untriggeredForm(forms, rng), heldOut: false, fires: false, slice: null }],
});
