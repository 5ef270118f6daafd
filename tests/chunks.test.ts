import { describe, expect, it } from 'vitest';
import { BufferPool, ChunkEncoder, type Chunk } from '../src/pipeline/chunks.js';

/** Runs lines through an encoder with tiny buffers and returns each file's bytes as text. */
async function throughChunks(lines: [number, string][], fileCount: number, bufferSize: number): Promise<string[]> {
  const pool = new BufferPool(2, bufferSize);
  const bytes: number[][] = Array.from({ length: fileCount }, () => []);
  const emit = ({ buffer, segments }: Chunk) => {
    // Segments never overlap, and a file's segments in a chunk come in the order of its bytes (the writer
    // writes them in that order, with one writev).
    for (let i = 3; i < segments.length; i += 3) expect(segments[i + 1]).toBeGreaterThanOrEqual(segments[i - 1]!);
    for (let i = 0; i < segments.length; i += 3) bytes[segments[i]!]!.push(...new Uint8Array(buffer, segments[i + 1]!, segments[i + 2]! - segments[i + 1]!));
    // The main thread writes a chunk and gives its buffer back later.
    setTimeout(() => pool.release(buffer), 0);
  };
  const encoder = new ChunkEncoder(fileCount, pool, emit);
  for (const [file, line] of lines) await encoder.append(file, line);
  await encoder.flush();
  return bytes.map((file) => new TextDecoder().decode(new Uint8Array(file)));
}

describe('chunk encoder', () => {
  it('delivers every file its lines in order, byte for byte, whatever the buffer size and characters', async () => {
    // A lone surrogate (a string cut mid-pair) is written as U+FFFD, as TextEncoder writes it, whichever way
    // the encoder takes (a line that surely fits, or one split over buffers).
    const texts = ['plain', 'é accents à la carte', '😀 emoji 🎉 pairs', '', 'x'.repeat(40), 'mixed ü 😀 and \u2028 separators', 'lone \ud83d and \ude00 halves'];
    const lines: [number, string][] = [];
    for (let i = 0; i < 200; i++) lines.push([(i * 7) % 3, `${i} ${texts[i % texts.length]!}`]);
    const wellFormed = (line: string) => new TextDecoder().decode(new TextEncoder().encode(line));
    const expected = [0, 1, 2].map((file) => lines.filter(([f]) => f === file).map(([, line]) => `${wellFormed(line)}\n`).join(''));
    for (const size of [8, 13, 64, 1000, 1 << 16]) expect(await throughChunks(lines, 3, size), `buffers of ${size} bytes`).toEqual(expected);
  });
});
