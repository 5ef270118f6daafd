/**
 * The Messages requests the backend sends and what it hands back. Plain JSON shapes (a subset of the SDK's
 * MessageCreateParamsNonStreaming) so a request can be hashed into its cache key and stored in a batch.
 */

export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface SystemBlock {
  type: 'text';
  text: string;
  /** Marks the end of a prefix the API may cache (prompt caching): put it on the shared few-shot block. */
  cache_control?: CacheControl;
}

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface AnswerRequest {
  model: string;
  max_tokens: number;
  temperature?: number;
  system?: string | SystemBlock[];
  messages: ChatTurn[];
  stop_sequences?: string[];
}

/** Token counts of one response, nulls from the API turned into 0. */
export interface TokenUsage {
  /** Uncached input tokens (after the last cache breakpoint). */
  input_tokens: number;
  /** Input tokens read from the prompt cache (billed at 0.1x input). */
  cache_read_input_tokens: number;
  /** Input tokens written to the prompt cache (billed at 1.25x input for the 5-minute TTL). */
  cache_creation_input_tokens: number;
  output_tokens: number;
}

export interface AnswerResult {
  /** The request's cache key (sha256 of its canonical JSON). */
  key: string;
  text: string;
  /** Usage of the call that produced the text (for a cache hit: the original call's, which cost nothing now). */
  usage: TokenUsage;
  /** True when the answer came from the on-disk cache and no request was made. */
  fromCache: boolean;
  /** 'end_turn', 'max_tokens' (truncated: usually worth rejecting), 'stop_sequence', 'refusal', ... */
  stopReason: string | null;
  /** The model that answered, as the API reported it. */
  model: string;
}

export const ZERO_USAGE: Readonly<TokenUsage> = Object.freeze({
  input_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
  output_tokens: 0,
});
