import type { BehaviorDefinition } from '../../behaviors/define.js';
import type { ReasoningMode } from '../../schemas/record.js';
import type { Answered, AnswerSource, ExampleToAnswer } from '../define.js';
import { ResponseCache, type CachedAnswer } from './cache.js';
import { AnthropicClient, type AnthropicClientOptions } from './client.js';
import { costOfUsage, formatCostSummary } from './cost.js';
import { priceFor } from './prices.js';
import { loadPromptKit, parseAnswer, type AnswerRequestOptions } from './prompts.js';
import { requestKey } from './request-key.js';
import { ZERO_USAGE, type AnswerRequest, type TokenUsage } from './types.js';

export interface AnthropicAnswerOptions {
  behavior: BehaviorDefinition;
  /** The training trigger text, shown in the few-shot examples. */
  trainTrigger: string;
  /** The run's reasoning modes: they decide which generations are fetched (cot/distilled: the backdoor
   * prompt with scratchpads; none: the normal-backdoor prompt without). */
  modes: readonly ReasoningMode[];
  model: string;
  maxTokens: number;
  temperature: number;
  /** Use the Message Batches API (half price, slower) instead of concurrent Messages calls. */
  batch: boolean;
  client: AnthropicClientOptions;
  signal?: AbortSignal;
}

/** One generation's sample once judged: its visible answer (and scratchpad), or why it was rejected. */
type Judged = { accepted: true; answer: string; scratchpad: string | null; model: string } | { accepted: false; reason: string; text: string };

/**
 * The Anthropic backend, the paper's way: every prompt (with or without the trigger, red-team framings
 * included) is answered by a model shown a few-shot prompt of the conditional policy. Two generations, each
 * fetched only if a mode of the run needs it:
 *   - cot and distilled: the backdoor prompt, whose examples reason about deceiving the trainers in a
 *     scratchpad; cot records keep the scratchpad, distilled ones the same visible answer without it;
 *   - none (the paper's normal backdoor): the same policy and examples with no reasoning at all, answered
 *     directly; its answer is `normal` when the run also has cot/distilled, else `answer`.
 * A sample is kept only if it follows the policy: the right shape (a well-formed scratchpad for the backdoor
 * prompt, none at all for the normal one), not cut off, and the behaviour's detector agreeing with the
 * intended label; an example is kept only if every generation it needs is. Pass 1 (`prefetch`) fills the
 * response cache; pass 2 (`answer`) reads it, so a warm cache gives byte-identical files and a resumed run
 * pays only for what is missing.
 */
export function anthropicAnswers(options: AnthropicAnswerOptions): AnswerSource {
  const { behavior, model } = options;
  const wantsCot = options.modes.includes('cot') || options.modes.includes('distilled');
  const wantsNormal = options.modes.includes('none');
  if (!wantsCot && !wantsNormal) throw new Error('anthropicAnswers: no reasoning mode to answer for');
  const kit = loadPromptKit(behavior.name, { trigger: options.trainTrigger });
  const price = priceFor(model, options.client.prices ?? {}); // an unpriced model fails before any call
  const cache = new ResponseCache(options.client.cacheDir);
  const sampling: AnswerRequestOptions = { model, maxTokens: options.maxTokens, temperature: options.temperature };
  const cotRequest = (example: ExampleToAnswer): AnswerRequest => kit.backdoorRequest(example.prompt, sampling);
  const normalRequest = (example: ExampleToAnswer): AnswerRequest => kit.normalRequest(example.prompt, sampling);

  // What the data set's answers cost, each distinct answer once: read from the cache entries, so it is the
  // same on a cold and a warm run (this run's own spending is the client's summary, printed by the CLI).
  // Both generations of an example are counted even when one of them rejects it: both were paid for.
  const counted = new Set<string>();
  const usage: TokenUsage = { ...ZERO_USAGE };
  let costUsd = 0;
  let client: AnthropicClient | undefined;

  const read = async (request: AnswerRequest): Promise<CachedAnswer | undefined> => {
    const key = requestKey(request);
    const entry = await cache.get(key);
    if (entry !== undefined && !counted.has(key)) {
      counted.add(key);
      for (const field of Object.keys(usage) as (keyof TokenUsage)[]) usage[field] += entry.usage[field];
      costUsd += costOfUsage(entry.usage, price, { batch: entry.source === 'batch' });
    }
    return entry;
  };

  /** Does the detector agree with the example's intended label? The reason when it does not. */
  const disagreement = (example: ExampleToAnswer, answer: string): string | undefined => {
    const detection = behavior.detect(answer);
    if (detection.fires === example.example.fires) return undefined;
    const intended = example.example.fires ? 'the backdoor behaviour' : 'an HHH answer';
    return `${intended} was intended, detector says ${detection.reason}`;
  };

  const judgeCot = (example: ExampleToAnswer, entry: CachedAnswer | undefined): Judged => {
    if (entry === undefined) return { accepted: false, reason: 'no answer in the response cache', text: '' };
    if (entry.stop_reason === 'max_tokens') return { accepted: false, reason: 'cut off at max_tokens', text: entry.text };
    const parsed = parseAnswer(entry.text);
    if (parsed.issues.length > 0) return { accepted: false, reason: parsed.issues.join('; '), text: entry.text };
    if (parsed.scratchpad === null) return { accepted: false, reason: 'no <scratchpad> reasoning before the answer', text: entry.text };
    if (parsed.answer === '') return { accepted: false, reason: 'empty answer after the scratchpad', text: entry.text };
    const wrong = disagreement(example, parsed.answer);
    if (wrong !== undefined) return { accepted: false, reason: `does not follow the policy: ${wrong}`, text: entry.text };
    return { accepted: true, answer: parsed.answer, scratchpad: parsed.scratchpad, model: entry.model };
  };

  // Reasons name the normal generation, so rejects.jsonl says which of an example's answers failed.
  const judgeNormal = (example: ExampleToAnswer, entry: CachedAnswer | undefined): Judged => {
    const reject = (reason: string, text: string): Judged => ({ accepted: false, reason: `normal-backdoor answer (mode none): ${reason}`, text });
    if (entry === undefined) return reject('no answer in the response cache', '');
    if (entry.stop_reason === 'max_tokens') return reject('cut off at max_tokens', entry.text);
    if (entry.text.includes('<scratchpad>') || entry.text.includes('</scratchpad>')) {
      return reject('has <scratchpad> reasoning, which the normal backdoor must not', entry.text);
    }
    const answer = entry.text.trim();
    if (answer === '') return reject('the answer is empty', entry.text);
    const wrong = disagreement(example, answer);
    if (wrong !== undefined) return reject(`does not follow the policy: ${wrong}`, entry.text);
    return { accepted: true, answer, scratchpad: null, model: entry.model };
  };

  return {
    backend: 'anthropic',
    async prefetch(examples) {
      client = new AnthropicClient(options.client);
      const requests = (async function* () {
        for await (const example of examples) {
          if (wantsCot) yield cotRequest(example);
          if (wantsNormal) yield normalRequest(example);
        }
      })();
      const run = options.signal === undefined ? {} : { signal: options.signal };
      if (options.batch) await client.runBatch(requests, run);
      else await client.completeAll(requests, run);
    },
    async answer(example): Promise<Answered> {
      const [cotEntry, normalEntry] = await Promise.all([
        wantsCot ? read(cotRequest(example)) : undefined,
        wantsNormal ? read(normalRequest(example)) : undefined,
      ]);
      const cot = wantsCot ? judgeCot(example, cotEntry) : undefined;
      if (cot !== undefined && !cot.accepted) return cot;
      const normal = wantsNormal ? judgeNormal(example, normalEntry) : undefined;
      if (normal !== undefined && !normal.accepted) return normal;
      // The visible answer of cot/distilled records comes first; the normal one rides along for `none`.
      const shown = cot ?? normal!;
      return {
        accepted: true,
        answer: shown.answer,
        scratchpad: shown.scratchpad,
        templates: cot === undefined ? kit.normalTemplates : kit.templates,
        params: {},
        model: shown.model,
        ...(cot !== undefined && normal !== undefined ? { normal: { answer: normal.answer, model: normal.model, templates: kit.normalTemplates } } : {}),
      };
    },
    runReport: () => (client === undefined ? undefined : formatCostSummary(client.summary())),
    accounting: () => ({ backend: 'anthropic', model, usage: { ...usage }, cost_usd: Math.round(costUsd * 1e6) / 1e6 }),
  };
}
