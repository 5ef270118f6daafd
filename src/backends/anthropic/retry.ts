import { setTimeout as sleep } from 'node:timers/promises';
import { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';

/**
 * Retries live here rather than in the SDK (which the client builds with maxRetries: 0). The SDK does retry
 * 408/409/429/5xx/529 and connection errors and honours retry-after / retry-after-ms, but: it does not retry a
 * 200 whose body is not valid JSON (a truncated or garbled response), its backoff floor (0.5 s, doubling to
 * 8 s) cannot be tuned (tests would wait real seconds), and it cannot tell us how many retries happened. The
 * policy below is the SDK's, plus those three.
 */
export interface RetryOptions {
  /** Retries after the first attempt (so up to maxRetries + 1 attempts). */
  maxRetries: number;
  /** First backoff when the server gives no retry-after; doubles per attempt, with up to 25% jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound on a server-requested wait (retry-after), so a bad header cannot stall a run for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxRetries: 8, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/** A response that parsed as JSON but is not a Message (no content array): treated like a garbled body. */
export class MalformedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}

export interface FailureClass {
  retryable: boolean;
  /** HTTP status, when there was a response. */
  status?: number;
  /** What the server asked us to wait (retry-after-ms, else retry-after seconds or HTTP date). */
  retryAfterMs?: number;
  /** Short description for logs and errors: "429 rate_limit_error", "connection dropped", ... */
  reason: string;
}

function retryAfterFrom(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(parseFloat(ms))) return parseFloat(ms);
  const after = headers?.get('retry-after');
  if (!after) return undefined;
  const seconds = parseFloat(after);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof APIUserAbortError) return { retryable: false, reason: 'aborted' };
  if (error instanceof APIConnectionError) {
    // Nobody listens at the address, or the name does not resolve: retrying for minutes cannot help.
    const refused = unreachableCode(error);
    if (refused !== undefined) return { retryable: false, reason: refused === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED)' : refused === 'bad port' ? 'fetch refuses this port (bad port)' : `host not found (${refused})` };
    return { retryable: true, reason: error.message.toLowerCase().includes('timed out') ? 'request timed out' : 'connection failed' };
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const headers = error.headers as Headers | undefined;
    const type = (error.error as { error?: { type?: string } } | undefined)?.error?.type;
    const reason = `${status}${type ? ` ${type}` : ''}`;
    const retryAfterMs = retryAfterFrom(headers);
    const withDelay = (retryable: boolean): FailureClass =>
      retryAfterMs === undefined ? { retryable, status, reason } : { retryable, status, reason, retryAfterMs };
    const serverSays = headers?.get('x-should-retry');
    if (serverSays === 'true') return withDelay(true);
    if (serverSays === 'false') return withDelay(false);
    return withDelay(status === 408 || status === 409 || status === 429 || status >= 500);
  }
  if (error instanceof SyntaxError) return { retryable: true, reason: 'malformed response body' };
  if (error instanceof MalformedResponseError) return { retryable: true, reason: error.message };
  // undici reports a body cut off mid-stream as TypeError('terminated') (cause: socket closed).
  if (error instanceof TypeError && /terminated|socket|ECONNRESET/i.test(`${error.message} ${String(error.cause)}`)) {
    return { retryable: true, reason: 'connection dropped' };
  }
  return { retryable: false, reason: error instanceof Error ? error.message : String(error) };
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND']);

/** ECONNREFUSED or ENOTFOUND anywhere in the cause chain (undici nests it, and wraps one per address
 * family in an AggregateError), else undefined. */
export function unreachableCode(error: unknown, depth = 0): string | undefined {
  if (depth > 6 || typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
  // fetch refuses ports it deems unsafe (e.g. 9, 25) before any connection: as final as a refusal.
  if (error instanceof Error && error.message === 'bad port') return 'bad port';
  for (const inner of (error as { errors?: unknown }).errors instanceof Array ? (error as { errors: unknown[] }).errors : []) {
    const found = unreachableCode(inner, depth + 1);
    if (found) return found;
  }
  return unreachableCode((error as { cause?: unknown }).cause, depth + 1);
}

export function backoffDelayMs(retryIndex: number, failure: FailureClass, options: RetryOptions): number {
  if (failure.retryAfterMs !== undefined && failure.retryAfterMs > 0) return Math.min(failure.retryAfterMs, options.maxRetryAfterMs);
  const exponential = Math.min(options.baseDelayMs * 2 ** retryIndex, options.maxDelayMs);
  return exponential * (1 - Math.random() * 0.25);
}

export interface RetryEvent {
  attempt: number;
  failure: FailureClass;
  delayMs: number;
}

/** Thrown when retries run out or the failure is not retryable; carries the last error and its class. */
export class RetriesExhausted extends Error {
  readonly failure: FailureClass;
  readonly attempts: number;
  constructor(failure: FailureClass, attempts: number, cause: unknown) {
    super(failure.reason, { cause });
    this.name = 'RetriesExhausted';
    this.failure = failure;
    this.attempts = attempts;
  }
}

/** Runs `attempt` until it succeeds, a failure is not retryable, retries run out, or `signal` aborts. */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
  hooks: { signal?: AbortSignal | undefined; onRetry?: ((event: RetryEvent) => void) | undefined } = {},
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n + 1);
    } catch (error) {
      if (hooks.signal?.aborted) throw hooks.signal.reason ?? error;
      const failure = classifyFailure(error);
      if (!failure.retryable || n >= options.maxRetries) throw new RetriesExhausted(failure, n + 1, error);
      const delayMs = backoffDelayMs(n, failure, options);
      hooks.onRetry?.({ attempt: n + 1, failure, delayMs });
      await sleep(delayMs, undefined, hooks.signal ? { signal: hooks.signal } : undefined);
    }
  }
}
