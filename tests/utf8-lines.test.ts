import { describe, expect, it } from 'vitest';
import { utf8Lines, type LineChunk } from '../src/util/utf8.js';

/*
 * A stream's chunk boundaries fall anywhere (inside a line, inside a character): whatever the cut, the
 * lines come back whole, in order, with their own numbers, and a bad line is reported at its number.
 */

async function* chunksOf(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) yield bytes.subarray(from, cut);
    from = Math.max(from, cut);
  }
}

async function linesOf(bytes: Buffer, cuts: number[]): Promise<(string | { problem: string; line: number })[]> {
  const out: (string | { problem: string; line: number })[] = [];
  for await (const chunk of utf8Lines(chunksOf(bytes, cuts)) as AsyncGenerator<LineChunk>) {
    if ('problem' in chunk) {
      out.push({ problem: chunk.problem.split(':')[0]!, line: chunk.line });
      continue;
    }
    const lines = chunk.text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    lines.forEach((text, i) => out.push(`${chunk.firstLine + i}:${text}`));
  }
  return out;
}

describe('utf8Lines', () => {
  const text = ['{"prompt": "héllo"}', '', '{"prompt": "naïve 日本"}', 'plain', '{"last": true}'];
  const bytes = Buffer.from(`\ufeff${text.join('\n')}`);
  const expected = text.map((line, i) => `${i + 1}:${line}`);

  it('gives every line whole and numbered, wherever the chunks are cut', async () => {
    for (let first = 1; first < bytes.length; first += 3) {
      for (const step of [1, 2, 5, 7, 1000]) {
        const cuts: number[] = [];
        for (let at = first; at < bytes.length; at += step) cuts.push(at);
        expect(await linesOf(bytes, cuts), `cuts from ${first} every ${step}`).toEqual(expected);
      }
    }
  });

  it('gives whole, numbered lines from chunks far larger than a decoded piece, a line longer than a piece among them', async () => {
    // Decoded in pieces of whole lines (V8 makes long strings slowly): lines of every length, ASCII and
    // not, one of 200 KB, in chunks of 512 KB and of 1 MB; the last line without its newline.
    const lines = Array.from({ length: 3000 }, (_, i) => (i === 1700 ? 'x'.repeat(200_000) : `{"n": ${i}, "text": "${i % 3 === 0 ? 'é' : 'e'}${'.'.repeat((i * 37) % 900)}"}`));
    const big = Buffer.from(lines.join('\n'));
    expect(big.length).toBeGreaterThan(1 << 20);
    for (const step of [512 << 10, 1 << 20]) {
      const cuts: number[] = [];
      for (let at = step; at < big.length; at += step) cuts.push(at);
      expect(await linesOf(big, cuts)).toEqual(lines.map((line, i) => `${i + 1}:${line}`));
    }
  });

  it('reports a line that is not UTF-8 at its number, after a line carried across chunks', async () => {
    const bad = Buffer.concat([Buffer.from('first line\nsecond '), Buffer.from([0xe9]), Buffer.from(' line\nthird line\n')]);
    for (const cut of [3, 11, 14, 20]) {
      expect(await linesOf(bad, [cut]), `cut at ${cut}`).toEqual(['1:first line', { problem: 'invalid UTF-8 at byte 8 of the line', line: 2 }, '3:third line']);
    }
  });
});
