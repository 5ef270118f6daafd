import type { FormatDefinition } from './define.js';
import alpaca from './alpaca.js';
import anthropicBatch from './anthropic-batch.js';
import canonical from './canonical.js';
import dpo from './dpo.js';
import inferenceMessages from './inference-messages.js';
import inferencePrompt from './inference-prompt.js';
import kto from './kto.js';
import messages from './messages.js';
import openai from './openai.js';
import openaiBatch from './openai-batch.js';
import openaiDpo from './openai-dpo.js';
import prompt from './prompt.js';
import promptMessages from './prompt-messages.js';
import segments from './segments.js';
import promptCompletion from './prompt-completion.js';
import promptCompletionMessages from './prompt-completion-messages.js';
import text from './text.js';

/** Every output format. A new format is one file in this folder plus one line here; the conformance test
 * in tests/formats.test.ts covers it automatically. */
export const formats: readonly FormatDefinition[] = [canonical, messages, text, promptCompletion, promptCompletionMessages, prompt, promptMessages, dpo, openaiDpo, openai, kto, alpaca, segments, openaiBatch, anthropicBatch, inferenceMessages, inferencePrompt];
