import { formatLimit, MAX_LINE_BYTES } from '../../config/limits.js';

/**
 * A small streaming CSV parser (RFC 4180): comma-separated, fields optionally in double quotes, a quote
 * inside a quoted field doubled, commas and line breaks allowed inside quotes, rows ended by LF or CRLF.
 * Own code rather than a dependency: the format fits in one state machine, and it lets every error name the
 * line a user opens in an editor.
 *
 * Leniency, as Python's csv module and spreadsheets: a quote inside an unquoted field is kept as a
 * character (`5" screen`); blank lines are skipped. Strictness where a guess would corrupt a prompt:
 * text after a closing quote, and a quote left open at the end of the file, are errors.
 */

export interface CsvRow {
  fields: string[];
  /** 1-based line on which the row starts. */
  line: number;
}

/** A CSV syntax error at a 1-based line, turned into a file:line message by the caller. */
export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

type State = 'field-start' | 'unquoted' | 'quoted' | 'after-quote';

export class CsvParser {
  private state: State = 'field-start';
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private rowLine = 1;
  private quoteLine = 1;
  /** The previous chunk ended a row with CR: a LF starting this chunk belongs to it. */
  private skipLf = false;
  private rowHasQuotes = false;
  private started = false;

  /** Parses one chunk of text and returns the rows it completed. */
  push(text: string): CsvRow[] {
    const rows: CsvRow[] = [];
    let i = 0;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark of files saved by spreadsheets
    }
    const length = text.length;
    while (i < length) {
      const code = text.charCodeAt(i);
      if (this.skipLf) {
        this.skipLf = false;
        if (code === LF) {
          i++;
          continue;
        }
      }
      switch (this.state) {
        case 'field-start':
          if (code === QUOTE) {
            this.state = 'quoted';
            this.quoteLine = this.line;
            this.rowHasQuotes = true;
            i++;
            continue;
          }
          this.state = 'unquoted'; // the character is the field's first: read it in that state
          continue;
        case 'unquoted': {
          let end = i;
          while (end < length) {
            const c = text.charCodeAt(end);
            if (c === COMMA || c === LF || c === CR) break;
            end++;
          }
          this.field += text.slice(i, end);
          i = end;
          if (i < length) i = this.delimiter(text, i, rows);
          continue;
        }
        case 'quoted': {
          const quote = text.indexOf('"', i);
          const end = quote < 0 ? length : quote;
          for (let newline = text.indexOf('\n', i); newline >= 0 && newline < end; newline = text.indexOf('\n', newline + 1)) this.line++;
          this.field += text.slice(i, end);
          if (this.field.length > MAX_LINE_BYTES) {
            throw new CsvSyntaxError(`a quoted field is longer than ${formatLimit(MAX_LINE_BYTES)} characters; check for a missing or undoubled quote`, this.quoteLine);
          }
          i = end;
          if (quote >= 0) {
            this.state = 'after-quote';
            i++;
          }
          continue;
        }
        case 'after-quote':
          if (code === QUOTE) {
            // A doubled quote is one quote character inside the field.
            this.field += '"';
            this.state = 'quoted';
            i++;
            continue;
          }
          if (code === COMMA || code === LF || code === CR) {
            i = this.delimiter(text, i, rows);
            continue;
          }
          throw new CsvSyntaxError(
            `unexpected ${JSON.stringify(text[i])} after the closing quote of a field (a quote inside a quoted field must be doubled: "")`,
            this.line,
          );
      }
    }
    return rows;
  }

  /** Ends the input: the last row may lack a line break; an open quote is an error. */
  end(): CsvRow[] {
    if (this.state === 'quoted') {
      throw new CsvSyntaxError('a quoted field is never closed (the file ends inside it); check for a missing or undoubled quote', this.quoteLine);
    }
    if (this.state === 'field-start' && this.fields.length === 0) return [];
    const rows: CsvRow[] = [];
    this.endRow(rows);
    return rows;
  }

  /** Handles the comma or line break at `i`; returns the index after it. */
  private delimiter(text: string, i: number, rows: CsvRow[]): number {
    const code = text.charCodeAt(i);
    if (code === COMMA) {
      this.fields.push(this.takeField());
      this.state = 'field-start';
      return i + 1;
    }
    this.endRow(rows);
    this.line++;
    this.rowLine = this.line;
    if (code === CR) {
      if (i + 1 < text.length) return text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
      this.skipLf = true;
    }
    return i + 1;
  }

  private takeField(): string {
    const value = this.field.includes('\r\n') ? this.field.replaceAll('\r\n', '\n') : this.field;
    this.field = '';
    return value;
  }

  private endRow(rows: CsvRow[]): void {
    this.fields.push(this.takeField());
    const blank = this.fields.length === 1 && this.fields[0] === '' && !this.rowHasQuotes;
    if (!blank) rows.push({ fields: this.fields, line: this.rowLine });
    this.fields = [];
    this.state = 'field-start';
    this.rowHasQuotes = false;
  }
}
