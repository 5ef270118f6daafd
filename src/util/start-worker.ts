import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running `url` (a module beside the caller's: `new URL('./x-worker.js', import.meta.url)`,
 * which the bundle's build checks names an output). From dist/ it is plain .js. From source (vitest, tsx)
 * the module is a .ts file: the thread first registers tsx's loader, then imports it (`execArgv: ['--import',
 * 'tsx']` does not reach a worker's own entry on Node 20).
 */
export function startWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(url, options);
  const source = url.href.replace(/\.js$/, '.ts');
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
