import type { AnthropicSettings } from '../anthropic.js';
import type { AnswerRun, AnswerSource } from '../define.js';
import { anthropicAnswers } from './answers.js';
import { createProgress, silentProgress } from './progress.js';

/** The anthropic backend's answer source for a run: the config's model and sampling, the flags' settings. */
export function answerSource({ config, behavior, forms, signal }: AnswerRun, settings: AnthropicSettings): AnswerSource {
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
