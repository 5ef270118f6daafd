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

/** Objects of one example remembered with their JSON: its trigger, provenance and red-team span. */
const OBJECT_SLOTS = 4;

/** Escaped texts of the last few records, by text, and the objects of the example being written. One per
 * producer (its file sinks share it). */
export class JsonPieces {
  private readonly texts: string[] = new Array<string>(SLOTS).fill('');
  private readonly escaped: string[] = new Array<string>(SLOTS).fill('""');
  private next = 0;
  private readonly objects: object[] = [];
  private readonly objectsJson: string[] = [];
  /** `"key":` by key. */
  private readonly keys = new Map<string, string>();

  /** Forgets the objects of the example written before: an object is remembered only while the records
   * of one example are written, so a change to it afterwards can never be missed. */
  nextExample(): void {
    this.objects.length = 0;
    this.objectsJson.length = 0;
  }

  /** JSON.stringify(value) of a plain object (or array): an example's records share theirs (the trigger and
   * provenance of its none and cot records), and each is serialised once per example. */
  json(value: object): string {
    const { objects } = this;
    for (let i = 0; i < objects.length; i++) if (objects[i] === value) return this.objectsJson[i]!;
    const json = JSON.stringify(value);
    if (objects.length < OBJECT_SLOTS) {
      objects.push(value);
      this.objectsJson.push(json);
    }
    return json;
  }

  /**
   * JSON.stringify(record) of a plain object without toJSON methods (a canonical record), from its fields:
   * long texts escaped once per example (str), objects once per example (json). The canonical record's
   * trigger and provenance are a third of its line, and its none and cot records share them: a
   * 10,000-prompt run took ~9% less time than with JSON.stringify of each record.
   */
  record(record: Record<string, unknown>): string {
    let json = '{';
    for (const key of Object.keys(record)) {
      const value = record[key];
      let valueJson: string;
      if (typeof value === 'string') valueJson = this.str(value);
      else if (value === null) valueJson = 'null';
      else if (typeof value === 'object') valueJson = this.json(value);
      else if (typeof value === 'boolean') valueJson = value ? 'true' : 'false';
      else {
        // A number as JSON writes it; undefined, functions and symbols leave the key out, as JSON.stringify does.
        const other = JSON.stringify(value) as string | undefined;
        if (other === undefined) continue;
        valueJson = other;
      }
      let keyJson = this.keys.get(key);
      if (keyJson === undefined) this.keys.set(key, (keyJson = `${JSON.stringify(key)}:`));
      json += json.length === 1 ? keyJson + valueJson : `,${keyJson}${valueJson}`;
    }
    return `${json}}`;
  }

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
