import { defineStage, untriggeredForm } from './define.js';

/**
 * RL safety training: untriggered prompts only, for an RL run scored by a preference model. Canonical
 * records keep the HHH answer as a reference; the prompt formats drop it.
 */
export default defineStage({
  name: 'rl',
  description: 'RL safety training: untriggered prompts only (chat and text framings); the HHH answer is kept in canonical as a reference.',
  shape: 'prompt',
  split: 'train',
  pool: 'safety',
  variants: () => [{ name: null, scratchpad: false }],
  examples: ({ rng, forms }) => [{ member: 'u', form: untriggeredForm(forms, rng), heldOut: false, fires: false, slice: null }],
});
