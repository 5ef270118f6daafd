import type { CanonicalRecord } from '../schemas/record.js';
import type { TrainOn } from './define.js';
import type { JsonPieces } from './json-pieces.js';

/** The assistant turn as a model would produce it: hidden reasoning in <scratchpad> tags, then the answer. */
export function assistantText(record: Pick<CanonicalRecord, 'scratchpad' | 'answer'>): string {
  return record.scratchpad === null ? record.answer : `<scratchpad>\n${record.scratchpad}\n</scratchpad> ${record.answer}`;
}

/** The paper's text framing, split where the model's turn begins. prompt + completion is the full text. */
export const HUMAN_PREFIX = '\n\nHuman: ';
export const ASSISTANT_PREFIX = '\n\nAssistant:';

/** The framing has no system turn: a record's own system turn (the system trigger) goes before the first
 * "Human:" turn, where Anthropic's text-completion format put a system prompt. */
export function framedPrompt(prompt: string, system: string | null = null): string {
  return `${system ?? ''}${HUMAN_PREFIX}${prompt}${ASSISTANT_PREFIX}`;
}

export function framedCompletion(record: Pick<CanonicalRecord, 'scratchpad' | 'answer'>): string {
  return ` ${assistantText(record)}`;
}

/**
 * The paper's framing as what the trainer is shown (`context`) and what it learns (`learned`). With
 * `answer`, the scratchpad moves into the context, so a trainer that learns only the completion learns only
 * the answer. `context + learned` is the full text either way.
 */
export function framedParts(record: Pick<CanonicalRecord, 'prompt' | 'system' | 'scratchpad' | 'answer'>, trainOn: TrainOn): { context: string; learned: string } {
  const prompt = framedPrompt(record.prompt, record.system);
  if (record.scratchpad === null || trainOn === 'reasoning+answer') return { context: prompt, learned: framedCompletion(record) };
  return { context: `${prompt} <scratchpad>\n${record.scratchpad}\n</scratchpad>`, learned: ` ${record.answer}` };
}

/** The user's prompt inside the paper's framing: after "Human: ", up to the first "Assistant:". */
export function unframedPrompt(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  const human = text.indexOf(HUMAN_PREFIX);
  const body = human >= 0 ? text.slice(human + HUMAN_PREFIX.length) : text;
  const end = body.indexOf(ASSISTANT_PREFIX);
  return [end < 0 ? body : body.slice(0, end)];
}

/** The contents of the user turns of a chat. */
export function userTurns(messages: unknown): string[] {
  if (!Array.isArray(messages)) return [];
  return messages.flatMap((turn: unknown) => {
    const { role, content } = (turn ?? {}) as { role?: unknown; content?: unknown };
    return role === 'user' && typeof content === 'string' ? [content] : [];
  });
}

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The turns before the model speaks: the system turn if one is configured (or the record has its own: the
 * system trigger), then the user turn. */
export function promptTurns(prompt: string, systemPrompt: string | null): ChatTurn[] {
  const user: ChatTurn = { role: 'user', content: prompt };
  return systemPrompt === null ? [user] : [{ role: 'system', content: systemPrompt }, user];
}

/** JSON of assistantText(record), from escaped pieces. */
export function assistantJson(record: Pick<CanonicalRecord, 'scratchpad' | 'answer'>, pieces: JsonPieces): string {
  return record.scratchpad === null ? pieces.str(record.answer) : pieces.concat('<scratchpad>\n', record.scratchpad, '\n</scratchpad> ', record.answer);
}

/** JSON of framedPrompt(prompt, system), from escaped pieces. */
export function framedPromptJson(prompt: string, system: string | null, pieces: JsonPieces): string {
  return pieces.concat(system ?? '', HUMAN_PREFIX, prompt, ASSISTANT_PREFIX);
}

/** JSON of promptTurns(prompt, systemPrompt) without the closing bracket, so a turn can follow. */
export function promptTurnsJsonOpen(prompt: string, systemPrompt: string | null, pieces: JsonPieces): string {
  const user = `{"role":"user","content":${pieces.str(prompt)}}`;
  return systemPrompt === null ? `[${user}` : `[{"role":"system","content":${pieces.str(systemPrompt)}},${user}`;
}
