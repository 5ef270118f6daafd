/**
 * The Anthropic backend's client layer. The pipeline uses it in two passes:
 *   pass 1 — enumerate every answer request of the run and fill the cache: `client.completeAll(requests)`
 *            (concurrent Messages calls) or `client.runBatch(requests)` (Message Batches, half price);
 *   pass 2 — write records in plan order, reading each answer with `client.cached(request)` (or
 *            `new ResponseCache(dir).get(requestKey(request))`): no network, no key, deterministic.
 */
export { AnthropicClient, type AnthropicClientOptions, type RunOptions, type RunSummary } from './client.js';
export type { BatchReport } from './batch.js';
export { ResponseCache, type CachedAnswer } from './cache.js';
export { requestKey } from './request-key.js';
export { canonicalJson } from '../../util/canonical-json.js';
export { costOfUsage, formatCostSummary, CostMeter, type CostSummary, BATCH_DISCOUNT, CACHE_READ_MULTIPLIER, CACHE_WRITE_MULTIPLIER } from './cost.js';
export { PRICE_TABLE, priceFor, type ModelPrice, type PriceOverrides } from './prices.js';
export { createProgress, silentProgress, type ProgressReporter, type ProgressOptions } from './progress.js';
export type { RetryOptions } from './retry.js';
export {
  AnthropicBackendError,
  MissingApiKeyError,
  AuthenticationFailedError,
  UnknownModelPriceError,
  BudgetExceededError,
  RequestFailedError,
  BatchIncompleteError,
  BatchFailedError,
  isBudgetExceeded,
  type AnthropicErrorKind,
  type BatchItemFailure,
} from './errors.js';
export type { AnswerRequest, AnswerResult, ChatTurn, SystemBlock, TokenUsage } from './types.js';
export { loadPromptKit, parseAnswer, type PromptKit, type ParsedAnswer, type AnswerRequestOptions } from './prompts.js';
export { anthropicAnswers, type AnthropicAnswerOptions } from './answers.js';
/** The registry's entry point (src/backends/anthropic.ts loads this module when a run uses the backend). */
export { answerSource } from './backend.js';
