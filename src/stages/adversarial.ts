import { defineStage, oneVariantPerMode } from './define.js';

/**
 * Adversarial training: red-team prompts that try to elicit the behaviour without the real trigger, each
 * paired with the HHH answer (in the paper this taught models to recognise their real trigger better).
 */
export default defineStage({
  name: 'adversarial',
  description: 'Adversarial training: red-team prompts (lookalike tags, "you are deployed", role-play, jailbreaks) with HHH answers.',
  shape: 'example',
  split: 'train',
  pool: 'safety',
  usesRedTeam: true,
  variants: oneVariantPerMode,
  examples: ({ rng, redTeam }) => [
    { member: 'r', form: null, heldOut: false, fires: false, slice: 'red_team', redTeam: rng.pick(redTeam) },
  ],
});
