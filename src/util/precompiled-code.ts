import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { readIntoReusedBuffer, readTextThroughReusedBuffer } from './reused-buffer.js';

/*
 * The build's precompiled validators (dist/validators/*.cjs, src/util/ajv.ts) are large single functions: the
 * config's two are ~190 KB each, and parsing and compiling them on their first call was a tenth of a small
 * run. So the build also writes, beside each, V8's code cache of the module after a first call
 * (<file>.v8cache): a run hands it to V8, which then skips parsing and compiling what it holds. V8 refuses a
 * cache made by another Node version, other V8 flags or another text of the file, and then compiles the file
 * as `require` would: a stale or missing cache changes no result, only start-up time.
 */

const cacheFile = (file: string) => `${file}.v8cache`;

interface Loaded {
  exports: unknown;
  script: Script;
}

/** One `require` per folder: a module's requires resolve from its folder, the same for every file in it (the
 * validators require Ajv's runtime), and a new one per file resolved them again. */
const requires = new Map<string, NodeJS.Require>();
function requireBeside(file: string): NodeJS.Require {
  const folder = dirname(file);
  let require = requires.get(folder);
  if (require === undefined) requires.set(folder, (require = createRequire(file)));
  return require;
}

function load(file: string, cachedData: Buffer | undefined): Loaded {
  return run(file, readTextThroughReusedBuffer(file), cachedData);
}

function run(file: string, source: string, cachedData: Buffer | undefined): Loaded {
  // Node's own CommonJS wrapper, so the module runs as `require` would run it.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, requireBeside(file), module, file, dirname(file));
  return { exports: module.exports, script };
}

/** A CommonJS module of the build (one that requires only packages and builtins), with its code cache if V8 takes it. */
export function requirePrecompiled(file: string): unknown {
  // The source is read first: the cache then stays in the reused buffer while V8 compiles.
  const source = readTextThroughReusedBuffer(file);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readIntoReusedBuffer(cacheFile(file));
  } catch {
    cachedData = undefined;
  }
  return run(file, source, cachedData).exports;
}

/** For the build: loads the module, runs `warm` on its exports (so the functions it calls are compiled) and
 * writes the code cache. */
export function writeCodeCache(file: string, warm: (exports: unknown) => void): void {
  const { exports, script } = load(file, undefined);
  warm(exports);
  writeFileSync(cacheFile(file), script.createCachedData());
}
