import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { CACHED_FOLDER, LOADER_FILE } from '../cli/bundle-loader.js';

/**
 * A worker thread running `url` (a module beside the caller's: `new URL('./x-worker.js', import.meta.url)`,
 * which the bundle's build checks names an output).
 *
 * - In the bundle (dist/bundle/), the thread loads the entry's CommonJS copy with V8's code cache, as the bin
 *   loads the CLI (src/cli/bundle-loader.ts). As an ES module it started Node's ES module loader and compiled
 *   two dozen files: ~155 ms of CPU before it could plan, against ~95. V8 refuses the cache once a run has
 *   set its heap flags (heap-policy.ts); the thread then compiles the CommonJS copy, still without the ES
 *   module loader.
 * - From source (vitest, tsx) the module is a .ts file: the thread first registers tsx's loader, then imports
 *   it (`execArgv: ['--import', 'tsx']` does not reach a worker's own entry on Node 20).
 * - Otherwise (dist/src/), the ES module itself.
 */
export function startWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (import.meta.url.endsWith('.ts')) {
    const source = url.href.replace(/\.js$/, '.ts');
    const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
    return new Worker(bootstrap, { ...options, eval: true });
  }
  const file = fileURLToPath(url);
  const bundle = dirname(file);
  const loader = join(bundle, LOADER_FILE);
  if (!existsSync(loader) || !existsSync(join(bundle, CACHED_FOLDER, basename(file)))) return new Worker(url, options);
  const load = `const { BundleLoader } = require(${JSON.stringify(loader)}); new BundleLoader(${JSON.stringify(bundle)}).load(${JSON.stringify(basename(file))});`;
  return new Worker(load, { ...options, eval: true });
}
