import type Anthropic from '@anthropic-ai/sdk';
import type { CachedAnswer } from './cache.js';
import { MalformedResponseError } from './retry.js';
import type { AnswerResult, TokenUsage } from './types.js';

function toUsage(usage: Partial<Record<keyof TokenUsage, number | null>> | undefined): TokenUsage {
  return {
    input_tokens: usage?.input_tokens ?? 0,
    cache_read_input_tokens: usage?.cache_read_input_tokens ?? 0,
    cache_creation_input_tokens: usage?.cache_creation_input_tokens ?? 0,
    output_tokens: usage?.output_tokens ?? 0,
  };
}

/** The text of a Message (its text blocks joined), validating the shape: a body that parsed as JSON but is
 * not a Message (a proxy's error page, a truncated object) must be retried, not cached as an empty answer. */
export interface MessageAnswer {
  text: string;
  usage: TokenUsage;
  stopReason: string | null;
  model: string;
}

export function messageText(message: unknown): MessageAnswer {
  const m = message as Partial<Anthropic.Message> | null;
  if (!m || typeof m !== 'object' || !Array.isArray(m.content) || typeof m.usage !== 'object' || m.usage === null) {
    throw new MalformedResponseError('response is not a Message (no content array or usage)');
  }
  const text = m.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  return { text, usage: toUsage(m.usage), stopReason: m.stop_reason ?? null, model: m.model ?? '' };
}

/** A cache entry as the result type. */
export const cachedToResult = (entry: CachedAnswer, fromCache: boolean): AnswerResult => ({
  key: entry.key,
  text: entry.text,
  usage: entry.usage,
  fromCache,
  stopReason: entry.stop_reason,
  model: entry.model,
});

