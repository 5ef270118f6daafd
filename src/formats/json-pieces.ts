/*
 * The JSON of a row, built from pieces escaped once. A record's prompt, answer and scratchpad are written
 * into several lines (each dataset's canonical file and its trainer file, the none and cot records of one
 * example), and escaping those texts (JSON.stringify of a new row object per line) was the largest part of
 * writing a line. Here each text is escaped once while the lines of its example are written, and a line is
 * the concatenation of escaped pieces. A line built here is exactly JSON.stringify of the row the format's
 * `fromRecord` gives (that row is what is validated): tests/formats.test.ts checks it on every format.
 */

/** Texts shorter than this are escaped each time (cheaper than looking them up). */
const SHORT = 48;
/** Texts longer than this are escaped each time too, so the cache holds at most SLOTS x 2 x LONG chars. */
const LONG = 1 << 16;
/** The texts of one example: prompt, answer, scratchpad, rejected answer, system turn, with room to spare. */
const SLOTS = 8;

/** Escaped texts of the last few records, by text. One per writing thread (file sinks share it). */
export class JsonPieces {
  private readonly texts: string[] = new Array<string>(SLOTS).fill('');
  private readonly escaped: string[] = new Array<string>(SLOTS).fill('""');
  private next = 0;

  /** JSON.stringify(text). */
  str(text: string): string {
    if (text.length < SHORT || text.length > LONG) return JSON.stringify(text);
    const { texts } = this;
    for (let i = 0; i < SLOTS; i++) if (texts[i] === text) return this.escaped[i]!;
    const json = JSON.stringify(text);
    texts[this.next] = text;
    this.escaped[this.next] = json;
    this.next = (this.next + 1) % SLOTS;
    return json;
  }

  /** JSON.stringify(a + b + ...), from the escapes of the parts. */
  concat(...parts: string[]): string {
    let json = '"';
    let previous = '';
    for (const part of parts) {
      if (part.length === 0) continue;
      // A lone high surrogate is escaped (\udXXX) unless a low one follows it: across a boundary the parts
      // would be escaped differently from their concatenation.
      if (isHighSurrogate(previous.charCodeAt(previous.length - 1)) && isLowSurrogate(part.charCodeAt(0))) return JSON.stringify(parts.join(''));
      const escaped = this.str(part);
      json += escaped.length === part.length + 2 ? part : escaped.slice(1, -1);
      previous = part;
    }
    return `${json}"`;
  }
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
