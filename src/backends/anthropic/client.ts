import Anthropic, { AuthenticationError, PermissionDeniedError } from '@anthropic-ai/sdk';
import { ResponseCache, type CachedAnswer } from './cache.js';
import { CostMeter, type CostSummary } from './cost.js';
import {
  AuthenticationFailedError,
  BudgetExceededError,
  ConnectionFailedError,
  MissingApiKeyError,
  RequestFailedError,
} from './errors.js';
import { Semaphore } from './limiter.js';
import type { PriceOverrides } from './prices.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import { requestKey } from './request-key.js';
import { cachedToResult, messageText, type MessageAnswer } from './message.js';
import { DEFAULT_RETRY, RetriesExhausted, unreachableCode, withRetries, type RetryOptions } from './retry.js';
import type { AnswerRequest, AnswerResult } from './types.js';
import { runBatches, type BatchReport, type BatchRunOptions } from './batch.js';

export interface AnthropicClientOptions {
  /** Folder of the response cache and batch state files; reuse it across runs to resume. */
  cacheDir: string;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Per-attempt timeout in ms (default: 60 s + 60 ms per max_tokens, at most 10 min); a timed-out attempt is retried. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Stop starting new requests once this many USD have been spent in this run (cache hits are free). */
  maxCostUsd?: number;
  /** USD per million tokens for models missing from the built-in table (or to override it). */
  prices?: PriceOverrides;
  /** API base URL; default ANTHROPIC_BASE_URL from `env`, else the SDK's default (https://api.anthropic.com). */
  baseURL?: string;
  /** Where ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL) are read; default process.env. Nothing else reads the key. */
  env?: Readonly<Record<string, string | undefined>>;
  progress?: ProgressReporter;
  /** Message Batches: poll interval (default 30 s) and largest batch (default 10,000 requests, 128 MB). */
  batch?: Partial<BatchRunOptions>;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Number of requests, when `requests` is an iterator, so progress can show a percentage and ETA. */
  total?: number;
  /** Called with every answer in completion order (pass 1 can ignore it: pass 2 reads the cache). */
  onResult?: (result: AnswerResult, request: AnswerRequest) => void;
}

export interface RunSummary extends CostSummary {
  /** Requests handled by this call (including duplicates and cache hits). */
  requests: number;
}

type Requests = Iterable<AnswerRequest> | AsyncIterable<AnswerRequest>;

/** Thrown (and swallowed by completeAll) when a queued request is dropped because the run is stopping. */
const RUN_HALTED: unique symbol = Symbol('run halted');

/**
 * The Anthropic backend's client: Messages calls through a concurrency limit, retries, an on-disk response
 * cache and a cost meter with a budget; or the same requests through the Message Batches API (runBatch).
 *
 * The API key is read from ANTHROPIC_API_KEY only when the first request actually has to go to the network,
 * so a fully cached re-run (and pass 2 of the pipeline, which reads only the cache) needs no key.
 */
export class AnthropicClient {
  readonly cache: ResponseCache;
  readonly meter: CostMeter;
  readonly concurrency: number;
  private readonly options: AnthropicClientOptions;
  private readonly retry: RetryOptions;
  private readonly limiter: Semaphore;
  private readonly progress: ProgressReporter;
  private readonly inFlight = new Map<string, Promise<AnswerResult>>();
  private sdkClient: Anthropic | undefined;

  constructor(options: AnthropicClientOptions) {
    this.options = options;
    this.cache = new ResponseCache(options.cacheDir);
    this.meter = new CostMeter(options.prices);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.concurrency = options.concurrency ?? 8;
    this.limiter = new Semaphore(this.concurrency);
    this.progress = options.progress ?? silentProgress;
  }

  /** The SDK client, built on first use. maxRetries 0: retries are ours (see retry.ts). */
  sdk(): Anthropic {
    if (this.sdkClient) return this.sdkClient;
    const env = this.options.env ?? process.env;
    const apiKey = env['ANTHROPIC_API_KEY']?.trim();
    if (!apiKey) throw new MissingApiKeyError();
    const baseURL = this.options.baseURL ?? env['ANTHROPIC_BASE_URL'];
    this.sdkClient = new Anthropic({
      apiKey,
      maxRetries: 0,
      timeout: this.options.timeoutMs ?? 600_000, // per request: see timeoutFor
      // The SDK's own logging could print request details; our errors say what the user needs.
      logLevel: 'off',
      ...(baseURL ? { baseURL } : {}),
    });
    return this.sdkClient;
  }

  /** Per-attempt timeout: the option, else one minute plus 60 ms per allowed output token (a slow ~17
   * tokens/s), at most ten minutes: long enough for a full answer, short enough that a hung connection
   * is noticed and retried. */
  private timeoutFor(request: AnswerRequest): number {
    return this.options.timeoutMs ?? Math.min(60_000 + request.max_tokens * 60, 600_000);
  }

  /** Throws BudgetExceededError once the run has spent its budget; called before each request starts. */
  checkBudget(): void {
    const max = this.options.maxCostUsd;
    if (max !== undefined && this.meter.spentUsd >= max) {
      const s = this.meter.summary();
      throw new BudgetExceededError(this.meter.spentUsd, max, s.apiAnswers + s.cacheHits);
    }
  }

  /** The cached answer to a request, without any network access (pass 2 of the pipeline). */
  async cached(request: AnswerRequest): Promise<AnswerResult | undefined> {
    const entry = await this.cache.get(requestKey(request));
    return entry && cachedToResult(entry, true);
  }

  /** One answer: from the cache if present, else from the API (then cached). Identical requests made while
   * one is in flight share its call (the later ones report fromCache: no request was made for them). */
  async complete(request: AnswerRequest, options: { signal?: AbortSignal } = {}): Promise<AnswerResult> {
    return this.completeGated(request, options.signal, undefined);
  }

  /** `mayStart` is asked right before a network call: completeAll uses it so that, once one request has
   * failed for good, requests still waiting for a slot are dropped instead of started. */
  private async completeGated(request: AnswerRequest, signal: AbortSignal | undefined, mayStart: (() => boolean) | undefined): Promise<AnswerResult> {
    const key = requestKey(request);
    const pending = this.inFlight.get(key);
    if (pending) {
      let shared: AnswerResult;
      try {
        shared = await pending;
      } catch (error) {
        // The call we joined was dropped by a stopping completeAll: that says nothing about this request.
        if (error === RUN_HALTED) return this.completeGated(request, signal, mayStart);
        throw error;
      }
      this.meter.addCacheHit();
      return { ...shared, fromCache: true };
    }
    const work = this.resolve(request, key, signal, mayStart);
    this.inFlight.set(key, work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async resolve(request: AnswerRequest, key: string, signal: AbortSignal | undefined, mayStart: (() => boolean) | undefined): Promise<AnswerResult> {
    const entry = await this.cache.get(key);
    if (entry) {
      this.meter.addCacheHit();
      return cachedToResult(entry, true);
    }
    // Unknown prices and an exhausted budget fail before any request is made.
    this.meter.priceFor(request.model);
    this.checkBudget();
    // The slot covers the network call only: the cache write (an fsync) overlaps the next request's call.
    const answer = await this.limiter.run(() => {
      if (mayStart && !mayStart()) throw RUN_HALTED;
      return this.fetch(request, key, signal);
    });
    return this.store(request, key, answer);
  }

  private async fetch(request: AnswerRequest, key: string, signal: AbortSignal | undefined): Promise<MessageAnswer> {
    // Re-checked after waiting for a slot: no new request starts once the budget is spent.
    this.checkBudget();
    const sdk = this.sdk();
    let answer: MessageAnswer;
    try {
      answer = await withRetries(
        async () => messageText(await sdk.messages.create(request, { timeout: this.timeoutFor(request), ...(signal ? { signal } : {}) })),
        this.retry,
        { signal, onRetry: () => this.meter.addRetry() },
      );
    } catch (error) {
      throw this.translate(error, request, key);
    }
    // Counted as soon as it is paid for, so the budget check of the next request sees it.
    this.meter.addAnswer(request.model, answer.usage);
    return answer;
  }

  private async store(request: AnswerRequest, key: string, answer: MessageAnswer): Promise<AnswerResult> {
    const entry: CachedAnswer = {
      v: 1,
      key,
      model: answer.model || request.model,
      text: answer.text,
      usage: answer.usage,
      stop_reason: answer.stopReason,
      source: 'messages',
      stored_at: new Date().toISOString(),
    };
    await this.cache.put(entry);
    return cachedToResult(entry, false);
  }

  /** SDK and retry errors -> errors for the person at the terminal. */
  private translate(error: unknown, request: AnswerRequest, key: string): unknown {
    if (!(error instanceof RetriesExhausted)) return error;
    const cause = error.cause;
    if (cause instanceof AuthenticationError || cause instanceof PermissionDeniedError) {
      const body = cause.error as { error?: { message?: string } } | undefined;
      return new AuthenticationFailedError(cause.status, body?.error?.message ?? 'authentication failed', cause);
    }
    if (error.failure.reason === 'aborted') return cause;
    if (unreachableCode(cause) !== undefined) return new ConnectionFailedError(this.sdk().baseURL, error.failure.reason, cause);
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new RequestFailedError(`request ${key.slice(0, 12)} to ${request.model} failed: ${error.failure.reason}${detail && detail !== error.failure.reason ? ` (${detail})` : ''}`, {
      ...(error.failure.status === undefined ? {} : { status: error.failure.status }),
      attempts: error.attempts,
      retryable: error.failure.retryable,
      cause,
    });
  }

  /**
   * Pass 1, concurrent mode: answers every request (cache first), at most `concurrency` in flight, pulling
   * requests lazily so memory stays flat however many there are. Stops at the first failure that retries
   * could not fix or when the budget is spent: no new request starts, the ones in flight finish and are
   * cached, then the error is thrown (a re-run resumes from the cache).
   */
  async completeAll(requests: Requests, options: RunOptions = {}): Promise<RunSummary> {
    const iterator = (Symbol.asyncIterator in requests ? requests[Symbol.asyncIterator]() : requests[Symbol.iterator]()) as
      | AsyncIterator<AnswerRequest>
      | Iterator<AnswerRequest>;
    const total = options.total ?? (Array.isArray(requests) ? requests.length : undefined);
    let handled = 0;
    let failure: unknown;
    let failed = false;
    this.progress.start('answers', total);
    const worker = async (): Promise<void> => {
      while (!failed) {
        const next = await iterator.next();
        if (next.done) return;
        try {
          const result = await this.completeGated(next.value, options.signal, () => !failed);
          handled++;
          this.progress.advance({ cached: result.fromCache });
          options.onResult?.(result, next.value);
        } catch (error) {
          if (error === RUN_HALTED) return;
          if (!failed) {
            failed = true;
            failure = error;
          }
          return;
        }
      }
    };
    try {
      // More workers than slots: a worker busy writing its answer to the cache or reading a cache hit
      // must not leave a network slot idle. The semaphore still bounds requests in flight to `concurrency`.
      await Promise.all(Array.from({ length: this.concurrency * 2 }, worker));
    } finally {
      this.progress.finish();
    }
    if (failed) throw failure;
    return { ...this.meter.summary(), requests: handled };
  }

  /**
   * Pass 1, batch mode: answers every request through the Message Batches API (half price, up to 24 h).
   * Open batches recorded in the cache dir by an earlier, interrupted run are resumed first, never
   * resubmitted. Throws BatchIncompleteError when some requests errored or expired (successes are cached).
   */
  async runBatch(requests: Requests, options: { signal?: AbortSignal; onSubmitted?: (batchId: string) => void | Promise<void> } = {}): Promise<BatchReport> {
    return runBatches(
      {
        sdk: () => this.sdk(),
        cache: this.cache,
        meter: this.meter,
        progress: this.progress,
        retry: this.retry,
        checkBudget: () => this.checkBudget(),
        options: {
          pollIntervalMs: this.options.batch?.pollIntervalMs ?? 30_000,
          maxRequestsPerBatch: this.options.batch?.maxRequestsPerBatch ?? 10_000,
          maxBatchBytes: this.options.batch?.maxBatchBytes ?? 128 * 1024 * 1024,
        },
      },
      requests,
      options,
    );
  }

  summary(): CostSummary {
    return this.meter.summary();
  }
}
