import { typeName } from '../util/jsonl.js';

/**
 * The record shapes of common prompt sets, each mapping one record to a user prompt and its HHH answer.
 * A shape either returns both or throws a ShapeProblem saying what it expected and where in the record.
 */

export const PROMPTS_SHAPES = ['auto', 'fields', 'alpaca', 'messages', 'sharegpt', 'hh'] as const;
export type PromptsShape = (typeof PROMPTS_SHAPES)[number];
export type RecordShape = Exclude<PromptsShape, 'auto'>;

/** The `fields` shape's mapping (prompts.prompt_field / answer_field / input_field). */
export interface FieldMapping {
  prompt_field: string;
  answer_field: string;
  input_field: string | null;
}

/** Why a record does not fit its shape; `path` is the field or JSON path inside the record. */
export class ShapeProblem extends Error {
  constructor(
    message: string,
    readonly path: string,
    /** The record lacks a field: the caller lists the fields it has. */
    readonly missingField = false,
  ) {
    super(message);
  }
}

type Record_ = Record<string, unknown>;

export interface ShapeDefinition {
  name: RecordShape;
  /** What the records are, for "reading FILE as Parquet, ShareGPT conversations". */
  label: (mapping: FieldMapping) => string;
  /** Which part becomes the prompt and which the answer. */
  mapping: (mapping: FieldMapping) => string;
  /** What a record of this shape looks like, for the message when no shape fits. */
  expects: (mapping: FieldMapping) => string;
  /** Top-level fields the shape reads (Parquet reads only these columns). */
  columns: (mapping: FieldMapping) => string[];
  /** Whether a record looks like this shape: used on the first record when the shape is `auto`. */
  fits: (record: Record_, mapping: FieldMapping) => boolean;
  extract: (record: Record_, mapping: FieldMapping) => { prompt: string; answer: string };
}

function text(record: Record_, name: string, required: true): string;
function text(record: Record_, name: string, required: false): string | undefined;
function text(record: Record_, name: string, required: boolean): string | undefined {
  const value = record[name];
  if (value === undefined || value === null) {
    if (required) throw new ShapeProblem(`missing field "${name}"`, name, true);
    return undefined;
  }
  if (typeof value !== 'string') throw new ShapeProblem(`field "${name}" must be a string, got ${typeName(value)}`, name);
  return value;
}

function nonEmpty(value: string, what: string, path: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new ShapeProblem(`${what} is empty`, path);
  return trimmed;
}

/** An instruction with an optional input after a blank line, as Alpaca-style data is usually rendered. */
function withInput(prompt: string, input: string | undefined): string {
  return input === undefined || input.trim() === '' ? prompt.trim() : `${prompt.trim()}\n\n${input.trim()}`;
}

const fields: ShapeDefinition = {
  name: 'fields',
  label: (m) => `fields "${m.prompt_field}" and "${m.answer_field}"`,
  mapping: (m) => `prompt = "${m.prompt_field}"${m.input_field === null ? '' : ` (+ "${m.input_field}")`}, answer = "${m.answer_field}"`,
  expects: (m) => `fields: "${m.prompt_field}" and "${m.answer_field}" (name them with --prompt-field / --answer-field)`,
  columns: (m) => [m.prompt_field, m.answer_field, ...(m.input_field === null ? [] : [m.input_field])],
  fits: (record, m) => record[m.prompt_field] !== undefined && record[m.answer_field] !== undefined,
  extract: (record, m) => {
    const prompt = text(record, m.prompt_field, true);
    const answer = text(record, m.answer_field, true);
    const input = m.input_field === null ? undefined : text(record, m.input_field, false);
    return {
      prompt: nonEmpty(withInput(prompt, input), `field "${m.prompt_field}"`, m.prompt_field),
      answer: nonEmpty(answer, `field "${m.answer_field}"`, m.answer_field),
    };
  },
};

const alpaca: ShapeDefinition = {
  name: 'alpaca',
  label: () => 'Alpaca records',
  mapping: () => 'prompt = instruction (+ input after a blank line), answer = output',
  expects: () => 'alpaca: "instruction", "output" and an optional "input"',
  columns: () => ['instruction', 'input', 'output'],
  fits: (record) => record['instruction'] !== undefined && record['output'] !== undefined,
  extract: (record) => ({
    prompt: nonEmpty(withInput(text(record, 'instruction', true), text(record, 'input', false)), 'field "instruction"', 'instruction'),
    answer: nonEmpty(text(record, 'output', true), 'field "output"', 'output'),
  }),
};

const USER_ROLES = new Set(['user', 'human']);
const ASSISTANT_ROLES = new Set(['assistant', 'gpt', 'chatgpt', 'model']);

/**
 * The first user turn of a chat and the first assistant turn after it. Turns may be {role, content}
 * (OpenAI/HF chat) or {from, value} (ShareGPT) in either list; system and tool turns are skipped.
 */
function firstExchange(record: Record_, list: string, style: 'messages' | 'sharegpt'): { prompt: string; answer: string } {
  const turns = record[list];
  const turnShape = style === 'messages' ? '{"role", "content"}' : '{"from", "value"}';
  if (turns === undefined || turns === null) throw new ShapeProblem(`missing field "${list}"`, list, true);
  if (!Array.isArray(turns)) throw new ShapeProblem(`field "${list}" must be a list of ${turnShape} turns, got ${typeName(turns)}`, list);
  const roles: string[] = [];
  let user: { index: number; content: string } | undefined;
  for (const [index, turn] of turns.entries()) {
    const at = `${list}[${index}]`;
    if (turn === null || typeof turn !== 'object' || Array.isArray(turn)) throw new ShapeProblem(`expected a ${turnShape} turn, got ${typeName(turn)}`, at);
    const roleKey = 'role' in turn ? 'role' : 'from';
    const role = (turn as Record_)[roleKey];
    if (typeof role !== 'string') throw new ShapeProblem(`expected "role" or "from" to name the speaker, got ${typeName(role)}`, `${at}.${roleKey}`);
    roles.push(role);
    const speaker = role.toLowerCase();
    if (user === undefined && USER_ROLES.has(speaker)) user = { index, content: nonEmpty(turnText(turn as Record_, at), `the first ${role} turn`, at) };
    else if (user !== undefined && ASSISTANT_ROLES.has(speaker)) {
      return { prompt: user.content, answer: nonEmpty(turnText(turn as Record_, at), `the ${role} turn after the first user turn`, at) };
    }
  }
  const seen = roles.length === 0 ? 'the list is empty' : `speakers: ${[...new Set(roles)].join(', ')}`;
  const userNames = style === 'messages' ? '"user"' : '"human" or "user"';
  const assistantNames = style === 'messages' ? '"assistant"' : '"gpt", "assistant", "chatgpt" or "model"';
  if (user === undefined) throw new ShapeProblem(`no user turn (${userNames}) in "${list}" (${seen})`, list);
  throw new ShapeProblem(`no assistant turn (${assistantNames}) after the first user turn ${list}[${user.index}] (${seen})`, list);
}

/** A turn's text: a string, or (OpenAI style) a list of parts whose text parts are joined. */
function turnText(turn: Record_, at: string): string {
  const key = 'content' in turn ? 'content' : 'value';
  const content = turn[key];
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const parts = content.map((part) => (typeof part === 'string' ? part : part !== null && typeof part === 'object' && typeof (part as Record_)['text'] === 'string' ? ((part as Record_)['text'] as string) : undefined));
    if (parts.every((part) => part !== undefined)) return parts.join('\n');
  }
  throw new ShapeProblem(`expected "${key}" to be text, got ${typeName(content)}`, `${at}.${key}`);
}

const messages: ShapeDefinition = {
  name: 'messages',
  label: () => 'chat messages',
  mapping: () => 'prompt = first user turn, answer = the assistant turn after it (system turns ignored)',
  expects: () => 'messages: "messages": [{"role": "user", "content": ...}, {"role": "assistant", "content": ...}]',
  columns: () => ['messages'],
  fits: (record) => Array.isArray(record['messages']),
  extract: (record) => firstExchange(record, 'messages', 'messages'),
};

const sharegpt: ShapeDefinition = {
  name: 'sharegpt',
  label: () => 'ShareGPT conversations',
  mapping: () => 'prompt = first human turn, answer = the gpt turn after it (system turns ignored)',
  expects: () => 'sharegpt: "conversations": [{"from": "human", "value": ...}, {"from": "gpt", "value": ...}]',
  columns: () => ['conversations'],
  fits: (record) => Array.isArray(record['conversations']),
  extract: (record) => firstExchange(record, 'conversations', 'sharegpt'),
};

/** A speaker label of an HH-RLHF transcript: at the start or on a new line (HH-RLHF puts a blank line before it). */
const HH_TURN = /(?:^|\n)(Human|Assistant):[ \t]?/g;

const hhField = (record: Record_): string => (typeof record['chosen'] === 'string' ? 'chosen' : 'text');

const hh: ShapeDefinition = {
  name: 'hh',
  label: () => 'HH-RLHF transcripts',
  mapping: () => 'prompt = first Human turn of "chosen" (or "text"), answer = the Assistant turn after it',
  expects: () => 'hh: "chosen" or "text" holding "\\n\\nHuman: ...\\n\\nAssistant: ..."',
  columns: () => ['chosen', 'text'],
  fits: (record) => {
    const value = record[hhField(record)];
    return typeof value === 'string' && /(^|\n)Human:/.test(value.trimStart()) && value.includes('Assistant:');
  },
  extract: (record) => {
    const name = record['chosen'] === undefined && record['text'] === undefined ? 'chosen' : hhField(record);
    if (record[name] === undefined || record[name] === null) throw new ShapeProblem('missing field "chosen" (or "text")', name, true);
    const transcript = text(record, name, true).replace(/^\s+/, '');
    const turns = [...transcript.matchAll(HH_TURN)];
    const expected = 'a transcript "\\n\\nHuman: ...\\n\\nAssistant: ..."';
    if (turns.length === 0 || turns[0]!.index !== 0) throw new ShapeProblem(`field "${name}" is not ${expected}`, name);
    const body = (i: number) => transcript.slice(turns[i]!.index + turns[i]![0].length, turns[i + 1]?.index ?? transcript.length);
    const human = turns.findIndex((turn) => turn[1] === 'Human');
    const assistant = turns.findIndex((turn, i) => i > human && turn[1] === 'Assistant');
    if (human < 0) throw new ShapeProblem(`field "${name}" has no "Human:" turn (expected ${expected})`, name);
    if (assistant < 0) throw new ShapeProblem(`field "${name}" has no "Assistant:" turn after the first "Human:" turn`, name);
    return { prompt: nonEmpty(body(human), `the first Human turn of "${name}"`, name), answer: nonEmpty(body(assistant), `the Assistant turn of "${name}"`, name) };
  },
};

/** In detection order: an explicit field mapping first, then the shapes with the most telling keys. */
export const SHAPES: readonly ShapeDefinition[] = [fields, sharegpt, messages, alpaca, hh];

export function shapeNamed(name: RecordShape): ShapeDefinition {
  return SHAPES.find((shape) => shape.name === name)!;
}
