import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { APIError, AuthenticationError, PermissionDeniedError, type Anthropic } from '@anthropic-ai/sdk';
import { critical } from '../../util/cleanup.js';
import type { ResponseCache } from './cache.js';
import { messageText, type MessageAnswer } from './message.js';
import type { CostMeter } from './cost.js';
import { AuthenticationFailedError, BatchFailedError, BatchIncompleteError, type BatchItemFailure } from './errors.js';
import type { ProgressReporter } from './progress.js';
import { requestKey } from './request-key.js';
import { RetriesExhausted, withRetries, type RetryOptions } from './retry.js';
import type { AnswerRequest } from './types.js';

export interface BatchRunOptions {
  pollIntervalMs: number;
  /** The API takes up to 100,000 requests and 256 MB per batch; smaller batches bound the work a budget
   * stop can overshoot by (a batch's cost is known only once it has ended). */
  maxRequestsPerBatch: number;
  maxBatchBytes: number;
}

export interface BatchContext {
  sdk(): Anthropic;
  cache: ResponseCache;
  meter: CostMeter;
  progress: ProgressReporter;
  retry: RetryOptions;
  checkBudget(): void;
  options: BatchRunOptions;
}

export interface BatchReport {
  /** Batches submitted by this call. */
  submittedBatchIds: string[];
  /** Batches of an earlier, interrupted run that this call polled and collected instead of resubmitting. */
  resumedBatchIds: string[];
  /** Requests sent in new batches. */
  submitted: number;
  /** Answers stored in the cache from batch results (new and resumed batches). */
  succeeded: number;
  /** Requests whose answer was already cached (nothing sent). */
  alreadyCached: number;
}

/**
 * What is persisted per batch, in `<cacheDir>/batches/<batch id>.json`, written (atomically) right after the
 * batch is created and before the first poll: a run that dies while the batch is processing finds it here
 * and collects its results instead of paying for the requests again.
 */
interface BatchState {
  v: 1;
  batch_id: string;
  submitted_at: string;
  status: 'submitted' | 'collected';
  /** custom_id (= cache key) and requested model of every request, for pricing and for spotting gaps. */
  requests: Array<{ key: string; model: string }>;
  collected?: { at: string; succeeded: number; failed: number };
}

const stateDir = (cache: ResponseCache): string => join(cache.dir, 'batches');

async function writeState(cache: ResponseCache, state: BatchState): Promise<void> {
  const dir = stateDir(cache);
  await mkdir(dir, { recursive: true });
  const finalPath = join(dir, `${state.batch_id}.json`);
  const tmpPath = `${finalPath}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmpPath, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(state)}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmpPath, finalPath);
}

async function openStates(cache: ResponseCache): Promise<BatchState[]> {
  let names: string[];
  try {
    names = (await readdir(stateDir(cache))).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const states: BatchState[] = [];
  for (const name of names) {
    const state = JSON.parse(await readFile(join(stateDir(cache), name), 'utf8')) as BatchState;
    if (state.status === 'submitted') states.push(state);
  }
  return states;
}

/** Polls until the batch has ended, then stores every success in the cache; returns the failures. */
async function collect(ctx: BatchContext, state: BatchState, signal: AbortSignal | undefined): Promise<{ succeeded: number; failures: BatchItemFailure[] }> {
  const sdk = ctx.sdk();
  const requestOptions = signal ? { signal } : {};
  const retryHooks = { signal, onRetry: () => ctx.meter.addRetry() };
  let lastNote = 0;
  const statePath = join(stateDir(ctx.cache), `${state.batch_id}.json`);
  const failed = (what: string, error: unknown): unknown => {
    if (signal?.aborted) return signal.reason ?? error;
    const cause = error instanceof RetriesExhausted ? error.cause : error;
    if (cause instanceof AuthenticationError || cause instanceof PermissionDeniedError) {
      return new AuthenticationFailedError(cause.status, (cause.error as { error?: { message?: string } } | undefined)?.error?.message ?? 'authentication failed', cause);
    }
    const reason = error instanceof RetriesExhausted ? error.failure.reason : cause instanceof Error ? cause.message : String(cause);
    return new BatchFailedError(
      `could not ${what} batch ${state.batch_id}: ${reason}`,
      `run the same command again to retry (the batch id is saved in ${statePath}); if the batch no longer exists ` +
        '(another workspace or key, or archived), delete that file and its requests will be submitted again',
      error,
    );
  };
  for (;;) {
    let batch: Anthropic.Messages.MessageBatch;
    try {
      batch = await withRetries(() => sdk.messages.batches.retrieve(state.batch_id, {}, requestOptions), ctx.retry, retryHooks);
    } catch (error) {
      throw failed('poll', error);
    }
    if (batch.processing_status === 'ended') break;
    if (Date.now() - lastNote >= 60_000 || lastNote === 0) {
      const c = batch.request_counts;
      ctx.progress.note(`batch ${state.batch_id}: ${batch.processing_status}, ${c.processing} of ${state.requests.length} requests processing (expires ${batch.expires_at})`);
      lastNote = Date.now();
    }
    await sleep(ctx.options.pollIntervalMs, undefined, signal ? { signal } : undefined);
  }

  const models = new Map(state.requests.map((r) => [r.key, r.model]));
  const done = new Set<string>();
  const failures = new Map<string, BatchItemFailure>();
  ctx.progress.start(`batch ${state.batch_id} results`, state.requests.length);
  try {
    // The download is retried as a whole if the stream breaks; `done` keeps answers from being counted twice.
    await withRetries(
      async () => {
        const lines = await sdk.messages.batches.results(state.batch_id, {}, requestOptions);
        for await (const line of lines) {
          const key = line.custom_id;
          const model = models.get(key);
          if (model === undefined || done.has(key)) continue; // not ours, or already stored
          if (line.result.type === 'succeeded') {
            let answer: MessageAnswer;
            try {
              answer = messageText(line.result.message);
            } catch (error) {
              failures.set(key, { key, batchId: state.batch_id, outcome: 'errored', message: (error as Error).message });
              continue;
            }
            await ctx.cache.put({
              v: 1,
              key,
              model: answer.model || model,
              text: answer.text,
              usage: answer.usage,
              stop_reason: answer.stopReason,
              source: 'batch',
              batch_id: state.batch_id,
              stored_at: new Date().toISOString(),
            });
            ctx.meter.addAnswer(model, answer.usage, { batch: true });
            failures.delete(key);
            done.add(key);
            ctx.progress.advance();
          } else {
            const message = line.result.type === 'errored' ? (line.result.error?.error?.message ?? 'error') : '';
            failures.set(key, { key, batchId: state.batch_id, outcome: line.result.type, message });
          }
        }
      },
      ctx.retry,
      retryHooks,
    );
  } catch (error) {
    throw failed('download the results of', error);
  } finally {
    ctx.progress.finish();
  }
  for (const { key } of state.requests) {
    if (!done.has(key) && !failures.has(key)) failures.set(key, { key, batchId: state.batch_id, outcome: 'missing', message: 'no result line' });
  }
  await writeState(ctx.cache, { ...state, status: 'collected', collected: { at: new Date().toISOString(), succeeded: done.size, failed: failures.size } });
  return { succeeded: done.size, failures: [...failures.values()] };
}

/** A failure after which we cannot know whether the batch was created (so it must not be retried). */
class AmbiguousSubmission extends Error {
  constructor(cause: unknown) {
    super('no usable response to the batch submission', { cause });
    this.name = 'AmbiguousSubmission';
  }
}

type Requests = Iterable<AnswerRequest> | AsyncIterable<AnswerRequest>;

export async function runBatches(
  ctx: BatchContext,
  requests: Requests,
  options: { signal?: AbortSignal; onSubmitted?: (batchId: string) => void | Promise<void> } = {},
): Promise<BatchReport> {
  const { signal } = options;
  const report: BatchReport = { submittedBatchIds: [], resumedBatchIds: [], submitted: 0, succeeded: 0, alreadyCached: 0 };
  const failures: BatchItemFailure[] = [];

  // 1. Batches an interrupted run left open: already paid for, so collect them before anything else.
  for (const state of await openStates(ctx.cache)) {
    ctx.progress.note(`resuming batch ${state.batch_id} (${state.requests.length} requests, submitted ${state.submitted_at})`);
    const outcome = await collect(ctx, state, signal);
    report.resumedBatchIds.push(state.batch_id);
    report.succeeded += outcome.succeeded;
    // Failures of resumed batches are not reported: if this run still needs them, they are resubmitted below.
  }

  // 2. Everything not cached yet, in batches of bounded size, one batch at a time (so the budget applies).
  let chunk: Array<{ key: string; request: AnswerRequest }> = [];
  let chunkKeys = new Set<string>();
  let chunkBytes = 0;
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    ctx.checkBudget();
    const sdk = ctx.sdk();
    const body = { requests: chunk.map(({ key, request }) => ({ custom_id: key, params: request })) };
    // Creating the batch and recording its id are one step a Ctrl-C waits for: a batch that exists but is
    // not recorded would be paid for and then submitted again by the next run.
    const { batch, state } = await critical(async () => {
      let created: Anthropic.Messages.MessageBatch;
      try {
        // Only retried when the server answered with an error status: after a dropped connection or a
        // timeout the batch may exist already, and submitting again would pay twice.
        created = await withRetries(
          async () => {
            try {
              return await sdk.messages.batches.create(body);
            } catch (error) {
              if (error instanceof APIError && typeof error.status === 'number') throw error;
              throw new AmbiguousSubmission(error);
            }
          },
          ctx.retry,
          { signal, onRetry: () => ctx.meter.addRetry() },
        );
      } catch (error) {
        if (signal?.aborted) throw error;
        const status = (error as { failure?: { status?: number } }).failure?.status;
        throw new BatchFailedError(
          `could not create a message batch of ${chunk.length} requests${status ? ` (HTTP ${status})` : ''}`,
          status
            ? 'the API refused the batch; check the request parameters, or try again later'
            : 'the connection failed while creating the batch, so it may exist anyway: check https://console.anthropic.com before re-running to avoid paying twice',
          error,
        );
      }
      const state: BatchState = {
        v: 1,
        batch_id: created.id,
        submitted_at: new Date().toISOString(),
        status: 'submitted',
        requests: chunk.map(({ key, request }) => ({ key, model: request.model })),
      };
      await writeState(ctx.cache, state);
      return { batch: created, state };
    });
    report.submittedBatchIds.push(batch.id);
    report.submitted += chunk.length;
    chunk = [];
    chunkKeys = new Set();
    chunkBytes = 0;
    ctx.progress.note(`submitted batch ${batch.id} (${state.requests.length} requests)`);
    await options.onSubmitted?.(batch.id);
    const outcome = await collect(ctx, state, signal);
    report.succeeded += outcome.succeeded;
    failures.push(...outcome.failures);
  };

  const iterable = requests as AsyncIterable<AnswerRequest>; // for await also walks sync iterables
  for await (const request of iterable) {
    const key = requestKey(request);
    if (chunkKeys.has(key)) continue;
    if (await ctx.cache.has(key)) {
      report.alreadyCached++;
      ctx.meter.addCacheHit();
      continue;
    }
    ctx.meter.priceFor(request.model); // an unpriced model fails before anything is submitted
    const bytes = Buffer.byteLength(JSON.stringify(request)) + 100;
    if (chunk.length >= ctx.options.maxRequestsPerBatch || (chunk.length > 0 && chunkBytes + bytes > ctx.options.maxBatchBytes)) await flush();
    chunk.push({ key, request });
    chunkKeys.add(key);
    chunkBytes += bytes;
  }
  await flush();

  if (failures.length > 0) throw new BatchIncompleteError(failures, report.succeeded);
  return report;
}
