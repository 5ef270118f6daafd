import { describe, expect, it } from 'vitest';
import { BufferPool, ChunkEncoder, type Chunk } from '../src/pipeline/chunks.js';

/** Runs lines through an encoder with tiny buffers and returns each file's bytes as text. */
async function throughChunks(lines: [number, string][], fileCount: number, bufferSize: number): Promise<string[]> {
  const pool = new BufferPool(2, bufferSize);
  const bytes: number[][] = Array.from({ length: fileCount }, () => []);
  const emit = ({ buffer, segments }: Chunk) => {
    // Segments name files in order, each file at most once per chunk (a file's writes must not overlap).
    const files = segments.filter((_value, i) => i % 3 === 0);
    expect(files).toEqual([...files].sort((a, b) => a - b));
    expect(new Set(files).size).toBe(files.length);
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
    const texts = ['plain', 'é accents à la carte', '😀 emoji 🎉 pairs', '', 'x'.repeat(40), 'mixed ü 😀 and \u2028 separators'];
    const lines: [number, string][] = [];
    for (let i = 0; i < 200; i++) lines.push([(i * 7) % 3, `${i} ${texts[i % texts.length]!}`]);
    const expected = [0, 1, 2].map((file) => lines.filter(([f]) => f === file).map(([, line]) => `${line}\n`).join(''));
    for (const size of [8, 13, 64, 1000]) expect(await throughChunks(lines, 3, size), `buffers of ${size} bytes`).toEqual(expected);
  });
});
