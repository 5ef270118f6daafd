import { rngFor } from '../../util/rng.js';
import type { AnswerRun, AnswerSource } from '../define.js';

/** The offline backend: the behaviour's own templates write every answer and scratchpad, whose reasoning
 * names the trigger form actually in each prompt (the run trigger's `describe`). */
export function answerSource({ config, behavior, describe, datasets }: AnswerRun): AnswerSource {
  const seed = config.seed;
  const needsScratchpad = datasets.some((dataset) => dataset.variant.scratchpad);
  return {
    backend: 'template',
    answer({ stage, example, item, index, surface, rng }) {
      const written = behavior.answer(item, example.fires, rng);
      let scratchpad: string | null = null;
      const templates = [...written.templates];
      if (needsScratchpad) {
        const reasoning = behavior.scratchpad(
          { fires: example.fires, surface, trigger: describe(example.form), item },
          rngFor(seed, stage.name, index, example.member, 'scratchpad'),
        );
        scratchpad = reasoning.text;
        templates.push(...reasoning.templates);
      }
      return { accepted: true, answer: written.text, scratchpad, templates, params: written.params, model: null };
    },
    accounting: () => ({ backend: 'template', model: null, usage: null, cost_usd: null }),
  };
}
