import { priceFor, type ModelPrice, type PriceOverrides } from './prices.js';
import type { TokenUsage } from './types.js';

/** Prompt-cache reads cost a tenth of the input price; writes (5-minute TTL) a quarter more than input. */
export const CACHE_READ_MULTIPLIER = 0.1;
export const CACHE_WRITE_MULTIPLIER = 1.25;
/** The Message Batches API bills every token category at half price. */
export const BATCH_DISCOUNT = 0.5;

/** The USD cost of one response's usage. */
export function costOfUsage(usage: TokenUsage, price: ModelPrice, options: { batch?: boolean } = {}): number {
  const perMillion =
    usage.input_tokens * price.input +
    usage.cache_read_input_tokens * price.input * CACHE_READ_MULTIPLIER +
    usage.cache_creation_input_tokens * price.input * CACHE_WRITE_MULTIPLIER +
    usage.output_tokens * price.output;
  return (perMillion / 1_000_000) * (options.batch ? BATCH_DISCOUNT : 1);
}

export interface CostSummary {
  /** Paid API answers received in this run (direct calls + batch results). */
  apiAnswers: number;
  /** Of which through a batch. */
  batchAnswers: number;
  /** Answers served from the on-disk cache (free). */
  cacheHits: number;
  /** Retried attempts (429, 5xx, overloaded, timeouts, dropped connections, malformed bodies). */
  retries: number;
  /** Tokens of the paid answers. */
  tokens: TokenUsage;
  /** USD spent in this run, batch discount applied. */
  costUsd: number;
}

/**
 * Running totals of one run: what was paid for (cache hits are counted but cost nothing) and the USD spent,
 * which the client compares with the budget before starting each request.
 */
export class CostMeter {
  private readonly overrides: PriceOverrides;
  private readonly totals: CostSummary = {
    apiAnswers: 0,
    batchAnswers: 0,
    cacheHits: 0,
    retries: 0,
    tokens: { input_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens: 0 },
    costUsd: 0,
  };

  constructor(overrides: PriceOverrides = {}) {
    this.overrides = overrides;
  }

  /** Throws UnknownModelPriceError; called before the first request so a run never starts unpriced. */
  priceFor(model: string): ModelPrice {
    return priceFor(model, this.overrides);
  }

  /** Records a paid answer and returns its cost. `model` is the requested id (what the price table knows). */
  addAnswer(model: string, usage: TokenUsage, options: { batch?: boolean } = {}): number {
    const cost = costOfUsage(usage, this.priceFor(model), options);
    const t = this.totals;
    t.apiAnswers++;
    if (options.batch) t.batchAnswers++;
    t.tokens.input_tokens += usage.input_tokens;
    t.tokens.cache_read_input_tokens += usage.cache_read_input_tokens;
    t.tokens.cache_creation_input_tokens += usage.cache_creation_input_tokens;
    t.tokens.output_tokens += usage.output_tokens;
    t.costUsd += cost;
    return cost;
  }

  addCacheHit(): void {
    this.totals.cacheHits++;
  }

  addRetry(): void {
    this.totals.retries++;
  }

  get spentUsd(): number {
    return this.totals.costUsd;
  }

  summary(): CostSummary {
    return { ...this.totals, tokens: { ...this.totals.tokens } };
  }
}

/** One line for the terminal, e.g. "412 API answers (0 batched), 88 cached, 3 retries; tokens in 51,200 ...". */
export function formatCostSummary(summary: CostSummary): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const t = summary.tokens;
  return (
    `${n(summary.apiAnswers)} API answers (${n(summary.batchAnswers)} batched), ${n(summary.cacheHits)} from cache, ` +
    `${n(summary.retries)} retries; tokens: input ${n(t.input_tokens)}, cache read ${n(t.cache_read_input_tokens)}, ` +
    `cache write ${n(t.cache_creation_input_tokens)}, output ${n(t.output_tokens)}; cost $${summary.costUsd.toFixed(4)}`
  );
}
