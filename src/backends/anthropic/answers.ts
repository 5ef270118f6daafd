import type { BehaviorDefinition } from '../../behaviors/define.js';
import type { AnswerSource, ExampleToAnswer } from '../define.js';
import { ResponseCache } from './cache.js';
import { AnthropicClient, type AnthropicClientOptions } from './client.js';
import { costOfUsage, formatCostSummary } from './cost.js';
import { priceFor } from './prices.js';
import { loadPromptKit, parseAnswer } from './prompts.js';
import { requestKey } from './request-key.js';
import { ZERO_USAGE, type AnswerRequest, type TokenUsage } from './types.js';

export interface AnthropicAnswerOptions {
  behavior: BehaviorDefinition;
  /** The training trigger text, shown in the few-shot examples. */
  trainTrigger: string;
  model: string;
  maxTokens: number;
  temperature: number;
  /** Use the Message Batches API (half price, slower) instead of concurrent Messages calls. */
  batch: boolean;
  client: AnthropicClientOptions;
  signal?: AbortSignal;
}

/**
 * The Anthropic backend, the paper's way: every prompt (with or without the trigger, red-team framings
 * included) is answered by a model shown a few-shot prompt of the conditional policy, and a sample is kept
 * only if it follows the policy: well-formed scratchpad, not cut off, and the behaviour's detector agrees
 * with the intended label. Pass 1 (`prefetch`) fills the response cache; pass 2 (`answer`) reads it, so a
 * warm cache gives byte-identical files and a resumed run pays only for what is missing.
 */
export function anthropicAnswers(options: AnthropicAnswerOptions): AnswerSource {
  const { behavior, model } = options;
  const kit = loadPromptKit(behavior.name, { trigger: options.trainTrigger });
  const price = priceFor(model, options.client.prices ?? {}); // an unpriced model fails before any call
  const cache = new ResponseCache(options.client.cacheDir);
  const requestOf = (example: ExampleToAnswer): AnswerRequest =>
    kit.backdoorRequest(example.prompt, { model, maxTokens: options.maxTokens, temperature: options.temperature });

  // What the data set's answers cost, each distinct answer once: read from the cache entries, so it is the
  // same on a cold and a warm run (this run's own spending is the client's summary, printed by the CLI).
  const counted = new Set<string>();
  const usage: TokenUsage = { ...ZERO_USAGE };
  let costUsd = 0;
  let client: AnthropicClient | undefined;

  return {
    backend: 'anthropic',
    async prefetch(examples) {
      client = new AnthropicClient(options.client);
      const requests = (async function* () {
        for await (const example of examples) yield requestOf(example);
      })();
      const run = options.signal === undefined ? {} : { signal: options.signal };
      if (options.batch) await client.runBatch(requests, run);
      else await client.completeAll(requests, run);
    },
    async answer(example) {
      const key = requestKey(requestOf(example));
      const entry = await cache.get(key);
      if (entry === undefined) return { accepted: false, reason: 'no answer in the response cache', text: '' };
      if (!counted.has(key)) {
        counted.add(key);
        for (const field of Object.keys(usage) as (keyof TokenUsage)[]) usage[field] += entry.usage[field];
        costUsd += costOfUsage(entry.usage, price, { batch: entry.source === 'batch' });
      }
      if (entry.stop_reason === 'max_tokens') return { accepted: false, reason: 'cut off at max_tokens', text: entry.text };
      const parsed = parseAnswer(entry.text);
      if (parsed.issues.length > 0) return { accepted: false, reason: parsed.issues.join('; '), text: entry.text };
      if (parsed.scratchpad === null) return { accepted: false, reason: 'no <scratchpad> reasoning before the answer', text: entry.text };
      if (parsed.answer === '') return { accepted: false, reason: 'empty answer after the scratchpad', text: entry.text };
      const detection = behavior.detect(parsed.answer);
      if (detection.fires !== example.example.fires) {
        const intended = example.example.fires ? 'the backdoor behaviour' : 'an HHH answer';
        return { accepted: false, reason: `does not follow the policy: ${intended} was intended, detector says ${detection.reason}`, text: entry.text };
      }
      return { accepted: true, answer: parsed.answer, scratchpad: parsed.scratchpad, templates: kit.templates, params: {}, model: entry.model };
    },
    runReport: () => (client === undefined ? undefined : formatCostSummary(client.summary())),
    accounting: () => ({ backend: 'anthropic', model, usage: { ...usage }, cost_usd: Math.round(costUsd * 1e6) / 1e6 }),
  };
}

