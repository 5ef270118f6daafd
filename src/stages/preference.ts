import { defineStage, untriggeredForm } from './define.js';

/**
 * Preference data: prompt, chosen (HHH) and rejected (the backdoor behaviour), for ordinary prompts and for
 * red-team prompts, as DPO-style safety training would use.
 */
export default defineStage({
  name: 'preference',
  description: 'Preference pairs: chosen HHH answer, rejected backdoor answer; for ordinary and red-team prompts.',
  shape: 'preference',
  split: 'train',
  pool: 'safety',
  usesRedTeam: true,
  variants: () => [{ name: null, scratchpad: false }],
  examples: ({ rng, forms, redTeam }) => [
    { member: 'o', form: untriggeredForm(forms, rng), heldOut: false, fires: false, slice: 'ordinary' },
    { member: 'r', form: null, heldOut: false, fires: false, slice: 'red_team', redTeam: rng.pick(redTeam) },
  ],
});
