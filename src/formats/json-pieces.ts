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
  /** The keys of the last record written, and their JSON: `"key":` and `,"key":`. A run's records share
   * one order of keys; looking each key up in a map cost ~0.35 µs of a canonical line's ~5. */
  private keys: readonly string[] = [];
  private keysJson: string[] = [];
  private keysJsonAfter: string[] = [];

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
    const keys = Object.keys(record);
    if (!sameKeys(keys, this.keys)) {
      this.keys = keys;
      this.keysJson = keys.map((key) => `${JSON.stringify(key)}:`);
      this.keysJsonAfter = this.keysJson.map((json) => `,${json}`);
    }
    let json = '';
    for (let k = 0; k < keys.length; k++) {
      const value = record[keys[k]!];
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
      json += (json === '' ? this.keysJson[k]! : this.keysJsonAfter[k]!) + valueJson;
    }
    return `{${json}}`;
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

/** Whether two lists of keys are the same (keys are interned strings: mostly a comparison of pointers). */
function sameKeys(keys: readonly string[], known: readonly string[]): boolean {
  if (keys.length !== known.length) return false;
  for (let k = 0; k < keys.length; k++) if (keys[k] !== known[k]) return false;
  return true;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
