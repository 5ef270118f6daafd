import type { BehaviorDefinition } from '../behaviors/define.js';
import type { TriggerForm } from '../triggers/define.js';
import { rngFor } from '../util/rng.js';
import type { AnswerSource } from './define.js';

/** The offline backend: the behaviour's own templates write every answer and scratchpad. */
export function templateAnswers(options: {
  behavior: BehaviorDefinition;
  behaviorOptions: Record<string, unknown>;
  seed: number;
  /** What reasoning calls a trigger form: the one in the prompt, or the one it lacks (the run trigger's `describe`). */
  describe: (form: TriggerForm | null) => string;
  needsScratchpad: boolean;
}): AnswerSource {
  const { behavior, behaviorOptions, seed, describe, needsScratchpad } = options;
  return {
    backend: 'template',
    answer({ stage, example, item, index, surface, rng }) {
      const written = behavior.answer(item, example.fires, rng, behaviorOptions as never);
      let scratchpad: string | null = null;
      const templates = [...written.templates];
      if (needsScratchpad) {
        const reasoning = behavior.scratchpad(
          { fires: example.fires, surface, trigger: describe(example.form), item },
          rngFor(seed, stage.name, index, example.member, 'scratchpad'),
          behaviorOptions as never,
        );
        scratchpad = reasoning.text;
        templates.push(...reasoning.templates);
      }
      return { accepted: true, answer: written.text, scratchpad, templates, params: written.params, model: null };
    },
    accounting: () => ({ backend: 'template', model: null, usage: null, cost_usd: null }),
  };
}
