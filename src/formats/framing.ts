import type { CanonicalRecord } from '../schemas/record.js';

/** The assistant turn as a model would produce it: hidden reasoning in <scratchpad> tags, then the answer. */
export function assistantText(record: Pick<CanonicalRecord, 'scratchpad' | 'answer'>): string {
  return record.scratchpad === null ? record.answer : `<scratchpad>\n${record.scratchpad}\n</scratchpad> ${record.answer}`;
}

/** The paper's text framing, split where the model's turn begins. prompt + completion is the full text. */
export const HUMAN_PREFIX = '\n\nHuman: ';
export const ASSISTANT_PREFIX = '\n\nAssistant:';

export function framedPrompt(prompt: string): string {
  return `${HUMAN_PREFIX}${prompt}${ASSISTANT_PREFIX}`;
}

export function framedCompletion(record: Pick<CanonicalRecord, 'scratchpad' | 'answer'>): string {
  return ` ${assistantText(record)}`;
}

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The turns before the model speaks: the system turn if one is configured, then the user turn. */
export function promptTurns(prompt: string, systemPrompt: string | null): ChatTurn[] {
  const user: ChatTurn = { role: 'user', content: prompt };
  return systemPrompt === null ? [user] : [{ role: 'system', content: systemPrompt }, user];
}
